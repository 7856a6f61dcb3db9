// SECRET subtypes and the family each belongs to. Subtype ids live in the process-wide table of
// findings.ts; the family (the grouping the labelled data reports per: aws, github, slack, ...)
// is kept here, registered once at module init next to the subtype.
import { subtypeId } from "./findings";

const families = new Map<i32, string>();

/** Registers `name` as a SECRET subtype of `family` and returns its id (module init only). */
export function secretSubtype(name: string, family: string): i32 {
  const id = subtypeId(name);
  families.set(id, family);
  return id;
}

/** The family of a SECRET subtype id, "" when the id is not a SECRET subtype. */
export function familyOf(subtype: i32): string {
  return families.has(subtype) ? families.get(subtype) : "";
}
