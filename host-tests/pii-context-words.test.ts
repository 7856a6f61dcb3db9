// Context words written with accented letters ("téléphone", "móvil" in the phone words of
// filters/lib/pii/detect-phone.ts) must raise a phone number's score as their ASCII peers do:
// the lists are UTF-8 like the scanned text, and Latin-1 letters fold case ("MÓVIL").
// Scores are compared on the same number with and without the word, every threshold 0 so the
// unboosted finding shows too.
import { beforeAll, describe, expect, it } from "vitest";
import { loadPiiScanner, type PiiScanner } from "./pii/scanner";

let scanner: PiiScanner;

beforeAll(() => {
  scanner = loadPiiScanner(undefined, { thresholds: { PHONE: 0 } });
});

/** Score of the one PHONE finding covering `number` in `text` (0 when none). */
function phoneScore(text: string, number: string): number {
  const at = text.indexOf(number);
  const hits = scanner.scan(text).filter((e) => e.type === "PHONE" && e.start === at && e.end === at + number.length);
  return hits.length === 1 ? hits[0].score : 0;
}

describe("accented context words", () => {
  const cases: Array<[string, string, string]> = [
    // [word before the number, plain filler of the same shape, number]
    ["móvil: ", "mirar: ", "612 34 56 78"],
    ["Móvil: ", "Mirar: ", "612 34 56 78"],
    ["MÓVIL: ", "MIRAR: ", "612 34 56 78"],
    ["móvil ", "mirar ", "6123 4567 89"],
    ["téléphone : ", "maisonnée : ", "01 23 45 67 89"],
    ["Téléphone : ", "Maisonnée : ", "01 23 45 67 89"],
  ];
  for (const [word, filler, number] of cases) {
    it(`${JSON.stringify(word)} boosts ${number} over ${JSON.stringify(filler)}`, () => {
      const plain = phoneScore(filler + number, number);
      const boosted = phoneScore(word + number, number);
      expect(plain).toBeGreaterThan(0);
      expect(boosted).toBeGreaterThan(plain);
    });
  }

  it("the boost is the same as the ASCII phone word's", () => {
    expect(phoneScore("móvil: 612 34 56 78", "612 34 56 78")).toBe(phoneScore("mobile: 612 34 56 78", "612 34 56 78"));
  });

  it("an accented word does not match a different accent or a non-letter in its place", () => {
    // "mòvil" (grave) and "m×vil" are not "móvil": no boost.
    const plain = phoneScore("mirar: 612 34 56 78", "612 34 56 78");
    expect(phoneScore("mòvil: 612 34 56 78", "612 34 56 78")).toBe(plain);
    expect(phoneScore("m×vil: 612 34 56 78", "612 34 56 78")).toBe(plain);
  });
});
