/** The contract of a rule module: metadata plus a detector over the analysis context. */
import type { Range, TextEdit } from 'vscode-languageserver-types';
import type { RuleMeta } from '../../../shared/src/ruleMeta';
import type { AnalysisContext } from '../analysis/context';
import type { CostEffect } from '../estimates/estimate';

export type { CostEffect };

export interface Fix {
  title: string;
  /** Preferred only when the edit keeps behaviour and numerics (editors apply it on "auto fix"). */
  preferred: boolean;
  edits: TextEdit[];
  /** Edits of other files (a job's config): offered only while each edited range still holds `expected` (codeActions.ts). */
  otherFiles?: OtherFileEdits[];
}

export interface OtherFileEdits {
  uri: string;
  edits: TextEdit[];
  /** The text each edit's range held when the fix was computed, in the order of `edits`. */
  expected: string[];
}

export interface RelatedLocation {
  range: Range;
  message: string;
  /** Another file (a job's config or entry script); absent for the finding's own file. */
  uri?: string;
}

export interface RuleFinding {
  range: Range;
  message: string;
  fixes?: Fix[];
  related?: RelatedLocation[];
  /** What the fix changes in the training run, so that its saving can be estimated (GA101, GA201, GA202, GA301). */
  effect?: CostEffect;
}

export interface Rule {
  meta: RuleMeta;
  check(context: AnalysisContext): RuleFinding[];
}
