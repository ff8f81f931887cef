/**
 * Synthetic judgments for tests and benchmarks (domain.md §6): fictional plaintiffs and debtors,
 * reproducible from a seed, written as CSV in the Simplicity or the generic layout.
 * Needs the optional dependency `@faker-js/faker`.
 */
export { type CsvOptions, csvField, csvLines, layoutColumns, titleCase, toCsv } from "./csv.js"
export {
  generate,
  generateRows,
  type SyntheticColumn,
  type SyntheticJudgment,
  type SyntheticOptions,
  type SyntheticPlaintiff,
  syntheticPlaintiffs
} from "./generate.js"
export {
  AllowedAreaCodes,
  type County,
  type HomesteadTier,
  NyCounties,
  OutOfStateCounties,
  type PlaintiffKind,
  ReservedEmailDomains
} from "./reference.js"
