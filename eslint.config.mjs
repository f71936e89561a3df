import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const taskLibRule = {
  'no-restricted-imports': ['error', {
    patterns: [{
      group: ['azure-pipelines-task-lib', 'azure-pipelines-task-lib/*'],
      message: 'Only shared/pipeline may import azure-pipelines-task-lib (design.md §3).',
    }],
  }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      ...taskLibRule,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The pipeline adapter is the one place allowed to talk to the agent; task-lib mock tests need it too.
    files: ['shared/pipeline/**/*.ts', 'test/tasks/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
