/**
 * Tokenizations printed by the seed notebooks (/work/shared/seeds), copied here as
 * literals so tests are self-contained. Each case names its seed and the tokenizer the
 * notebook's model used: 'gpt2' (gpt2-small) or 'neox' (pythia-70m / pythia-410m).
 * `strTokens` is what `utils.test_prompt` printed as "Tokenized prompt" (BOS first).
 */
export interface SeedTokenCase {
  seed: string;
  tokenizer: 'gpt2' | 'neox';
  text: string;
  prependBos: boolean;
  strTokens: string[];
}

/**
 * Seed 002 In[72]: a Pile excerpt whose text itself starts with "<|endoftext|>",
 * tokenized with prepend_bos=False. The notebook's print is cut after 1000 characters;
 * the text here is the printed tokens joined, so it ends where the print ends.
 */
const SEED_002_LATEX_TOKENS: string[] = [
    "<|endoftext|>", "2", "}", "3", "$,", " $", "1", "^{", "7", "}", "23", "$,", " $", "1",
    "^{", "6", "}", "2", "^{", "2", "}", "3", "$,", " $", "1", "^{", "7", "}", "2", "^{", "2",
    "}", "3", "$,", " $", "1", "^{", "8", "}", "2", "^{", "2", "}", "3", "$,", " $", "1", "^{",
    "9", "}", "2", "^{", "2", "}", "3", "$,", " $", "1", "^{", "10", "}", "2", "^{", "2", "}",
    "3", "$,", " $", "1", "^{", "9", "}", "2", "^{", "3", "}", "3", "$,", " $", "1", "^{",
    "10", "}", "2", "^{", "3", "}", "3", "$,", " $", "1", "^{", "11", "}", "2", "^{", "3", "}",
    "3", "$,", " $", "1", "^{", "10", "}", "2", "^{", "3", "}", "3", "^{", "2", "}$,", " $",
    "1", "^{", "11", "}", "2", "^{", "3", "}", "3", "^{", "2", "}$,", " $", "1", "^{", "12",
    "}", "2", "^{", "3", "}", "3", "^{", "2", "}$\\", "\n", "N", "r", ".", " $", "53", "$",
    " with", " $", "31", "$", " positive", " roots", ":\\", "\n", "$", "1", "$,", " $", "2",
    "$,", " $", "3", "$,", " $", "12", "$,", " $", "13", "$,", " $", "1", "^{", "2", "}",
];

export const SEED_TOKEN_CASES: SeedTokenCase[] = [
  {
    seed: '000 All\'s fair',
    tokenizer: 'gpt2',
    text: "All's fair in love and",
    prependBos: true,
    strTokens: ['<|endoftext|>', 'All', "'s", ' fair', ' in', ' love', ' and'],
  },
  {
    seed: '001 White House',
    tokenizer: 'gpt2',
    text: 'The White House is where the',
    prependBos: true,
    strTokens: ['<|endoftext|>', 'The', ' White', ' House', ' is', ' where', ' the'],
  },
  {
    seed: '001 Haunted House',
    tokenizer: 'gpt2',
    text: 'The Haunted House is where the',
    prependBos: true,
    strTokens: ['<|endoftext|>', 'The', ' Haunted', ' House', ' is', ' where', ' the'],
  },
  {
    seed: '002 IOI (pythia-70m)',
    tokenizer: 'neox',
    text: 'When John and Mary went to the store, John gave the bag to his friend',
    prependBos: true,
    strTokens: [
      '<|endoftext|>', 'When', ' John', ' and', ' Mary', ' went', ' to', ' the', ' store', ',',
      ' John', ' gave', ' the', ' bag', ' to', ' his', ' friend',
    ],
  },
  {
    seed: '002 LaTeX excerpt (pythia-70m, prepend_bos=False)',
    tokenizer: 'neox',
    text: SEED_002_LATEX_TOKENS.join(''),
    prependBos: false,
    strTokens: SEED_002_LATEX_TOKENS,
  },
  {
    seed: '003 syllogism (pythia-410m)',
    tokenizer: 'neox',
    text: 'All birds are exoskeletal, not endoskeletal. Horses are birds. Therefore, horses are',
    prependBos: true,
    strTokens: [
      '<|endoftext|>', 'All', ' birds', ' are', ' ex', 'os', 'keletal', ',', ' not', ' end', 'os',
      'keletal', '.', ' H', 'orses', ' are', ' birds', '.', ' Therefore', ',', ' horses', ' are',
    ],
  },
];

/** Answers `utils.test_prompt` printed as a single "Tokenized answer". */
export const SEED_SINGLE_TOKEN_ANSWERS: { seed: string; tokenizer: 'gpt2' | 'neox'; answer: string }[] = [
  { seed: '000', tokenizer: 'gpt2', answer: ' war' },
  { seed: '001', tokenizer: 'gpt2', answer: ' president' },
  { seed: '001', tokenizer: 'gpt2', answer: ' ghosts' },
  { seed: '002', tokenizer: 'neox', answer: ' Mary' },
  { seed: '003', tokenizer: 'neox', answer: ' ex' },
];

/** Seed 002 In[17]: ids printed next to their `to_str_tokens` (pythia-70m). */
export const SEED_002_IDS = {
  ids: [7393, 11060, 7802, 273, 7006, 313, 26, 329],
  strTokens: [' rac', 'emic', ' mixture', ' of', ' compounds', ' (', '9', ' A'],
  text: ' racemic mixture of compounds (9 A',
};

/** Seed 003: `answer_tokens` of the syllogisms, [" ex", " end"] (pythia-410m). */
export const SEED_003_ANSWER_IDS = { ' ex': 385, ' end': 990 };

/**
 * Seed 003 prints every syllogism prompt whose `to_str_tokens` length is not 22 and
 * prints none: these, from its `prompts[:10]`, are 22 tokens with BOS.
 */
export const SEED_003_PROMPTS_OF_22: string[] = [
  'All rodents are exoskeletal, not endoskeletal. Cats are rodents. Therefore, cats are',
  'All rodents are endoskeletal, not exoskeletal. Cats are rodents. Therefore, cats are',
  'All birds are exoskeletal, not endoskeletal. Pigs are birds. Therefore, pigs are',
  'All predators are exoskeletal, not endoskeletal. Monkeys are predators. Therefore, monkeys are',
  'All mammals are endoskeletal, not exoskeletal. Cats are mammals. Therefore, cats are',
];

/** Seed 001: `model.to_string` of the first clean/corrupted IOI rows (gpt2-small). */
export const SEED_001_IOI_STRINGS = {
  clean: '<|endoftext|>When John and Mary went to the shops,  John gave the bag to',
  corrupted: '<|endoftext|>When John and Mary went to the shops,  Mary gave the bag to',
};
