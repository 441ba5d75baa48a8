// Caps the size of MQTT packets a client may send, before the broker buffers them: reads each fixed
// header's remaining length as it streams past and ends the connection at the first packet over the cap.
import { Duplex, Transform, type TransformCallback } from 'node:stream';

/** Largest packet a client may send (header included), in bytes. */
export const MAX_PACKET_BYTES = 4 * 1024 * 1024 + 64 * 1024;

export class PacketSizeError extends Error {
  constructor(readonly size: number) {
    super(`MQTT packet of ${size} bytes is over the ${MAX_PACKET_BYTES}-byte limit`);
  }
}

/** A pass-through that tracks packet boundaries and fails with PacketSizeError on an oversize packet. */
export class PacketLimit extends Transform {
  /** bytes of the current packet's body still to pass, once its header is read */
  private remaining = 0;
  private header: number[] = [];

  constructor(private readonly maxBytes = MAX_PACKET_BYTES) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        at += take;
        continue;
      }
      this.header.push(chunk[at++]!);
      // header: one type byte, then a variable-length integer of up to four bytes (7 bits each)
      const last = this.header[this.header.length - 1]!;
      if (this.header.length === 1 || (last & 0x80 && this.header.length < 5)) continue;
      if (last & 0x80) {
        done(new Error('malformed MQTT remaining length'));
        return;
      }
      let length = 0;
      for (let i = this.header.length - 1; i >= 1; i--) length = length * 128 + (this.header[i]! & 0x7f);
      const size = this.header.length + length;
      this.header = [];
      if (size > this.maxBytes) {
        done(new PacketSizeError(size));
        return;
      }
      this.remaining = length;
    }
    done(null, chunk);
  }
}

/** The same connection as `stream`, with what it reads passed through a packet limit. */
export function limitPackets(stream: Duplex, onOversize: (error: Error) => void, maxBytes?: number): Duplex {
  const limit = new PacketLimit(maxBytes);
  limit.once('error', (error) => {
    if (error instanceof PacketSizeError || error.message.startsWith('malformed')) onOversize(error);
    stream.destroy();
  });
  stream.pipe(limit);
  const limited = Duplex.from({ readable: limit, writable: stream });
  limited.once('close', () => stream.destroy());
  return limited;
}
