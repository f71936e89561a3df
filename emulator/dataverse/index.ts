// Placeholder until the solution-lifecycle module lands: answers no route.
import type { DataverseModule } from '../core/contracts';

export function createDataverseModule(): DataverseModule {
  return {
    createEnvironment: () => undefined,
    handle: async () => false,
    reset: () => undefined,
    close: () => undefined,
  };
}
