// The configured detectors: custom patterns (the linear-time engine in ./regex) and exact-word
// lists (./words). Both plug into scanText as ExtraDetector; the configure step compiles
// patterns with compileCustomPattern and reports a refused pattern's message as a config error.
import { Findings, PiiType, subtypeId } from "./findings";
import { ExtraDetector } from "./scan";
import { CompileResult, Regex, compileRegex } from "./regex/index";
import { WordList } from "./words";

export { CompileResult } from "./regex/index";

/** Compiles a configured pattern (README in ./regex for the syntax, bounds and semantics). */
export function compileCustomPattern(source: string, caseInsensitive: bool = false): CompileResult {
  return compileRegex(source, caseInsensitive);
}

/** Every non-overlapping leftmost-first match of one pattern, as CUSTOM/<name>. */
export class CustomPatternDetector extends ExtraDetector {
  readonly pattern: Regex;
  readonly subtype: i32;
  readonly score: i32;

  constructor(pattern: Regex, name: string, score: i32) {
    super();
    this.pattern = pattern;
    this.subtype = subtypeId(name);
    this.score = score;
  }

  findAll(ptr: usize, len: usize, out: Findings): void {
    const re = this.pattern;
    re.findAll(ptr, <i32>len);
    for (let i = 0; i < re.count; i++) {
      out.add(unchecked(re.starts[i]), unchecked(re.ends[i]), PiiType.Custom, this.subtype, this.score);
    }
  }
}

/** Occurrences of a configured word list, as WORD/<name>. */
export class WordListDetector extends ExtraDetector {
  readonly words: WordList;
  readonly subtype: i32;
  readonly score: i32;

  constructor(words: string[], name: string, score: i32, caseInsensitive: bool, wholeWords: bool) {
    super();
    this.words = new WordList(words, caseInsensitive, wholeWords);
    this.subtype = subtypeId(name);
    this.score = score;
  }

  findAll(ptr: usize, len: usize, out: Findings): void {
    const w = this.words;
    w.scan(ptr, <i32>len);
    for (let i = 0; i < w.count; i++) {
      out.add(unchecked(w.starts[i]), unchecked(w.ends[i]), PiiType.Word, this.subtype, this.score);
    }
  }
}
