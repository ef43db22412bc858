// Lint: typescript-eslint's strict type-checked rules over the whole tree. Product code (src/)
// may neither assert non-null (`x!`) nor swap that for `x as T` (non-nullable-type-assertion-style
// flags the cast, no-non-null-assertion the `!`), and keeps no module-level mutable bindings.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/scripting/lua-wasm.ts'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'packaging/container/*.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Numbers and booleans print as expected in templates; objects and undefined still do not pass.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
      }],
      '@typescript-eslint/non-nullable-type-assertion-style': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: 'Program > VariableDeclaration[kind!="const"], Program > ExportNamedDeclaration > VariableDeclaration[kind!="const"]',
        message: 'No module-level mutable bindings: state belongs to the Server or an object it owns.',
      }],
    },
  },
  {
    // In tests and benchmarks a wrong assumption fails the run where it is made.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
    },
  },
);
