// What ops remember between invocations (per VM): the callback being run, and the last
// CAS / queue / token / stream so later ops can refer to them as "last".
import { BaseContext } from "../../sdk";

export let currentCallback: string = "";
export let currentContext: BaseContext | null = null;

export function enter(callback: string, context: BaseContext): void {
  currentCallback = callback;
  currentContext = context;
}

export class Memory {
  lastCas: u32 = 0;
  lastQueue: u32 = 0;
  lastHttpToken: u32 = 0;
  lastGrpcToken: u32 = 0;
  lastStreamContextId: u32 = 0;
  metrics: Map<string, u32> = new Map();
}

export const memo = new Memory();
