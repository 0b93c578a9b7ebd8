'use strict';
/**
 * COPY … FROM STDIN (binary format) on a node-postgres client, without pg-copy-streams: a "submittable" query
 * that pg drives through the copy-in protocol (the hooks below are the ones pg's Client calls on its active
 * query). Rows are given as arrays of Buffer | string | null | Date, in the COPY's column order.
 */

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const HEADER = Buffer.concat([
  Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
  Buffer.alloc(4), // flags
  Buffer.alloc(4), // header extension length
]);
const TRAILER = Buffer.from([0xff, 0xff]);

/** One row in binary COPY format: field count, then each field's length and bytes (-1 for NULL). */
function encodeRow(values) {
  const parts = [];
  const count = Buffer.alloc(2);
  count.writeInt16BE(values.length);
  parts.push(count);
  for (const v of values) {
    const len = Buffer.alloc(4);
    if (v === null || v === undefined) {
      len.writeInt32BE(-1);
      parts.push(len);
      continue;
    }
    let bytes;
    if (v instanceof Date) {
      // timestamptz: microseconds since 2000-01-01 UTC, int64
      bytes = Buffer.alloc(8);
      bytes.writeBigInt64BE(BigInt(v.getTime() - PG_EPOCH_MS) * 1000n);
    } else bytes = Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
    len.writeInt32BE(bytes.length);
    parts.push(len, bytes);
  }
  return Buffer.concat(parts);
}

class CopyIn {
  constructor(text, chunks, callback) {
    this.text = text;
    this.chunks = chunks; // async iterable of row arrays (batches)
    this.callback = callback;
    this.error = null;
    this.rowCount = 0;
  }

  submit(connection) {
    connection.query(this.text);
  }

  handleCopyInResponse(connection) {
    void (async () => {
      try {
        connection.sendCopyFromChunk(HEADER);
        for await (const rows of this.chunks) {
          connection.sendCopyFromChunk(Buffer.concat(rows.map(encodeRow)));
          if (connection.stream.writableNeedDrain)
            await new Promise((r) => connection.stream.once('drain', r));
        }
        connection.sendCopyFromChunk(TRAILER);
        connection.endCopyFrom();
      } catch (error) {
        this.error = error;
        connection.sendCopyFail(String(error.message || error));
      }
    })();
  }

  handleCommandComplete(msg) {
    this.rowCount =
      Number(
        String(msg.text || '')
          .split(' ')
          .pop(),
      ) || 0;
  }

  handleError(error) {
    this.error ??= error;
  }

  handleReadyForQuery() {
    this.callback(this.error, this.rowCount);
  }

  // Not expected during COPY FROM; present because pg may call them on its active query.
  handleRowDescription() {}
  handleDataRow() {}
  handleEmptyQuery() {}
  handlePortalSuspended() {}
}

/** Runs `COPY table (columns) FROM STDIN (FORMAT binary)` with the batches of rows `batches` yields. */
function copyIn(client, table, columns, batches) {
  return new Promise((resolve, reject) => {
    client.query(
      new CopyIn(
        `COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT binary)`,
        batches,
        (error, rowCount) => (error ? reject(error) : resolve(rowCount)),
      ),
    );
  });
}

module.exports = { copyIn };
