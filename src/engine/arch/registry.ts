/** The model families we can load, looked up by Hugging Face `model_type`. */
import type { Architecture } from './architecture';
import { gpt2 } from './gpt2';
import { gptNeox } from './gptNeox';

export const ARCHITECTURES: readonly Architecture[] = [gpt2, gptNeox];

export function findArchitecture(modelType: string): Architecture | undefined {
  return ARCHITECTURES.find((a) => a.modelTypes.includes(modelType));
}

export function supportedModelTypes(): string[] {
  return ARCHITECTURES.flatMap((a) => a.modelTypes);
}
