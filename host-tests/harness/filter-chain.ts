// One direction of Envoy's FilterManager iteration (source/common/http/filter_manager.cc):
// decode walks the filters forward to the router, encode walks them backward to the client.
// The rules are the same both ways: StopIteration vs StopAll, per-filter headers_continued,
// one buffered body shared by the stopped filter, commonContinue, and the buffer limit.
import { DataStatus, HeadersStatus, TrailersStatus } from "./abi";
import { BodyBuffer } from "./body-buffer";
import type { HeaderMap } from "./header-map";

export type IterationState = "continue" | "stopSingle" | "stopAllBuffer" | "stopAllWatermark";

export interface FilterSlot {
  headersContinued: boolean;
  state: IterationState;
  /** end_stream already delivered to this filter: later data is not for it. */
  endStream: boolean;
}

export interface DirectionHooks<F> {
  headers(f: F, h: HeaderMap, eos: boolean): HeadersStatus;
  data(f: F, d: BodyBuffer, eos: boolean): DataStatus;
  trailers(f: F, t: HeaderMap): TrailersStatus;
  sinkHeaders(h: HeaderMap, eos: boolean): void;
  sinkData(d: BodyBuffer, eos: boolean): void;
  sinkTrailers(t: HeaderMap): void;
  /** The buffered body went over the limit while not streaming (413 / 500-or-reset). */
  tooLarge(): void;
  /** Stop everything: a local reply or reset happened during a callback. */
  aborted(): boolean;
  /** The source has sent everything (client request complete / upstream response complete). */
  sourceComplete(): boolean;
  headerMap(): HeaderMap;
  trailerMap(): HeaderMap | null;
  bufferLimit(): number;
  /** A host profile may pass data by a filter without calling it (Kong's response buffering). */
  skipData?(i: number): boolean;
}

export class ChainDirection<F> {
  readonly slots: FilterSlot[];
  buffered: BodyBuffer | null = null;
  /** Whether the stopped filter buffers in streaming (watermark) mode. */
  private streaming = false;
  private overLimitFired = false;

  constructor(readonly filters: F[], private readonly hooks: DirectionHooks<F>) {
    this.slots = filters.map(() => ({ headersContinued: false, state: "continue", endStream: false }));
  }

  private stoppedAll(i: number): boolean {
    const s = this.slots[i].state;
    return s === "stopAllBuffer" || s === "stopAllWatermark";
  }

  /** commonHandleBufferData: moves data into the shared buffer unless it is the buffer. */
  bufferData(data: BodyBuffer, streaming: boolean): void {
    this.streaming = streaming;
    if (data === this.buffered) return;
    if (!this.buffered) this.buffered = new BodyBuffer();
    this.buffered.move(data);
    this.checkLimit();
  }

  private checkLimit(): void {
    if (!this.buffered || this.overLimitFired) return;
    if (this.buffered.size > this.hooks.bufferLimit()) {
      this.overLimitFired = true;
      // Watermark mode only pauses reading (flow control); buffering mode fails the stream.
      if (!this.streaming) this.hooks.tooLarge();
    }
  }

  headers(from: number, eos: boolean): void {
    const h = this.hooks.headerMap();
    for (let i = from; i < this.filters.length; i++) {
      const slot = this.slots[i];
      slot.endStream = eos;
      const status = this.hooks.headers(this.filters[i], h, eos);
      if (this.hooks.aborted()) return;
      if (status === HeadersStatus.Continue) {
        slot.headersContinued = true;
        continue;
      }
      slot.state =
        status === HeadersStatus.StopIteration ? "stopSingle" : status === HeadersStatus.StopAllIterationAndBuffer ? "stopAllBuffer" : "stopAllWatermark";
      return;
    }
    this.hooks.sinkHeaders(h, eos);
  }

  data(from: number, data: BodyBuffer, eos: boolean): void {
    // FM decodeData/encodeData: trailers a filter adds at end_stream turn the rest of this pass
    // into a non-final frame, then go through the filters after the one that added them.
    const trailersAtStart = this.hooks.trailerMap() !== null;
    let trailersAddedAt = -1;
    for (let i = from; i < this.filters.length; i++) {
      const slot = this.slots[i];
      if (this.stoppedAll(i)) {
        this.bufferData(data, slot.state === "stopAllWatermark");
        return;
      }
      if (slot.endStream) return;
      if (this.hooks.skipData?.(i)) continue;
      slot.endStream = eos && this.hooks.trailerMap() === null;
      const status = this.hooks.data(this.filters[i], data, slot.endStream);
      if (this.hooks.aborted()) return;
      if (trailersAddedAt < 0 && !trailersAtStart && this.hooks.trailerMap() !== null) {
        eos = false;
        trailersAddedAt = i;
      }
      if (status === DataStatus.Continue) {
        if (slot.state === "stopSingle") {
          this.bufferData(data, this.streaming);
          this.continueFrom(i);
          return;
        }
        continue;
      }
      slot.state = "stopSingle";
      if (status === DataStatus.StopIterationAndBuffer || status === DataStatus.StopIterationAndWatermark) {
        this.bufferData(data, status === DataStatus.StopIterationAndWatermark);
      } else if (this.hooks.sourceComplete() && this.hooks.trailerMap() === null && !this.buffered && !eos) {
        // NoBuffer on a stream ended by an empty frame: keep an empty buffer so continue sends end_stream.
        this.buffered = new BodyBuffer();
      }
      return;
    }
    if (data === this.buffered) this.buffered = null;
    this.hooks.sinkData(data, eos);
    if (trailersAddedAt >= 0 && !this.hooks.aborted()) this.trailers(trailersAddedAt + 1);
  }

  trailers(from: number): void {
    const t = this.hooks.trailerMap()!;
    for (let i = from; i < this.filters.length; i++) {
      const slot = this.slots[i];
      if (this.stoppedAll(i)) return;
      const status = this.hooks.trailers(this.filters[i], t);
      if (this.hooks.aborted()) return;
      if (status === TrailersStatus.Continue) {
        if (slot.state === "stopSingle") {
          this.continueFrom(i);
          return;
        }
        continue;
      }
      if (slot.state === "continue") slot.state = "stopSingle";
      return;
    }
    this.hooks.sinkTrailers(t);
  }

  /** addDecodedData / addEncodedData from inside a callback: buffer it, not streaming. */
  addData(data: BodyBuffer): void {
    this.bufferData(data, false);
  }

  /** ActiveStreamFilterBase::commonContinue for filter i. */
  continueFrom(i: number): void {
    if (this.hooks.aborted()) return;
    const slot = this.slots[i];
    const fromCurrent = this.stoppedAll(i);
    slot.state = "continue";
    const complete = this.hooks.sourceComplete();
    if (!slot.headersContinued) {
      slot.headersContinued = true;
      this.headers(i + 1, complete && !this.buffered && this.hooks.trailerMap() === null);
      if (this.hooks.aborted()) return;
    }
    const hadTrailers = this.hooks.trailerMap() !== null;
    if (this.buffered) {
      const data = this.buffered;
      this.data(fromCurrent ? i : i + 1, data, complete && !hadTrailers);
      if (this.hooks.aborted()) return;
    }
    if (hadTrailers && complete) this.trailers(fromCurrent ? i : i + 1);
  }

  /** The filter at i is stopped (continue would do something). */
  isStopped(i: number): boolean {
    return this.slots[i].state !== "continue" || !this.slots[i].headersContinued;
  }
}
