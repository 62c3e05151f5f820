// typescript-eslint strictTypeChecked: the async rules (no-floating-promises above all) stay errors, because
// an un-awaited request in a check passes silently.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'docs/html/**', '**/*.cjs', 'eslint.config.js', 'bin/**'] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Checks are written with chai's expect(...).to.be.true style, which reads as an unused expression.
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    files: ['conformance/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
