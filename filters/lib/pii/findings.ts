// What the PII scanners report: entities as byte ranges of the UTF-8 text scanned, with a type,
// a subtype (a name from one process-wide table: "visa", "ipv6", "aws_access_key"...) and a
// confidence score 0..100. Parallel arrays reused across scans: a scan allocates nothing once
// they have grown to the texts it sees.

export const enum PiiType {
  Email = 1,
  Phone = 2,
  CreditCard = 3,
  Iban = 4,
  UsSsn = 5,
  IpAddress = 6,
  UrlCredentials = 7,
  Secret = 8,
  /** A custom pattern from the configuration. */
  Custom = 9,
  /** An exact word from a configured list (e.g. customer names). */
  Word = 10,
}

export const PII_TYPE_MAX: i32 = 10;

/** The names the configuration, filter state, metrics and the scan tool use. */
export function piiTypeName(t: i32): string {
  switch (t) {
    case PiiType.Email: return "EMAIL";
    case PiiType.Phone: return "PHONE";
    case PiiType.CreditCard: return "CREDIT_CARD";
    case PiiType.Iban: return "IBAN";
    case PiiType.UsSsn: return "US_SSN";
    case PiiType.IpAddress: return "IP_ADDRESS";
    case PiiType.UrlCredentials: return "URL_CREDENTIALS";
    case PiiType.Secret: return "SECRET";
    case PiiType.Custom: return "CUSTOM";
    case PiiType.Word: return "WORD";
    default: return "UNKNOWN";
  }
}

export function piiTypeFromName(name: string): i32 {
  for (let t = 1; t <= PII_TYPE_MAX; t++) if (piiTypeName(t) == name) return t;
  return 0;
}

// ---- subtypes -----------------------------------------------------------------------------

const subtypeNames: string[] = [""];

/** The id of a subtype name, registered on first use (call at module init, not per finding). */
export function subtypeId(name: string): i32 {
  const i = subtypeNames.indexOf(name);
  if (i >= 0) return i;
  subtypeNames.push(name);
  return subtypeNames.length - 1;
}

export function subtypeName(id: i32): string {
  return id > 0 && id < subtypeNames.length ? unchecked(subtypeNames[id]) : "";
}

// ---- findings -----------------------------------------------------------------------------

export class Findings {
  count: i32 = 0;
  start: StaticArray<i32> = new StaticArray<i32>(16);
  end: StaticArray<i32> = new StaticArray<i32>(16);
  type: StaticArray<i32> = new StaticArray<i32>(16);
  subtype: StaticArray<i32> = new StaticArray<i32>(16);
  score: StaticArray<i32> = new StaticArray<i32>(16);

  clear(): void {
    this.count = 0;
  }

  /** Records [start, end) (byte offsets) as `type`/`subtype` with confidence `score` (0..100). */
  add(start: i32, end: i32, type: i32, subtype: i32, score: i32): void {
    if (end <= start) return;
    const n = this.count;
    if (n == this.start.length) this.grow();
    unchecked(this.start[n] = start);
    unchecked(this.end[n] = end);
    unchecked(this.type[n] = type);
    unchecked(this.subtype[n] = subtype);
    unchecked(this.score[n] = score < 0 ? 0 : score > 100 ? 100 : score);
    this.count = n + 1;
  }

  /** Removes finding i (order of the rest kept). */
  removeAt(i: i32): void {
    for (let j = i + 1; j < this.count; j++) {
      unchecked(this.start[j - 1] = this.start[j]);
      unchecked(this.end[j - 1] = this.end[j]);
      unchecked(this.type[j - 1] = this.type[j]);
      unchecked(this.subtype[j - 1] = this.subtype[j]);
      unchecked(this.score[j - 1] = this.score[j]);
    }
    this.count--;
  }

  private grow(): void {
    const cap = this.start.length * 2;
    this.start = copyGrow(this.start, cap);
    this.end = copyGrow(this.end, cap);
    this.type = copyGrow(this.type, cap);
    this.subtype = copyGrow(this.subtype, cap);
    this.score = copyGrow(this.score, cap);
  }
}

function copyGrow(a: StaticArray<i32>, cap: i32): StaticArray<i32> {
  const b = new StaticArray<i32>(cap);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length * 4);
  return b;
}
