/**
 * The live progress line on stderr: rewritten in place on a terminal, one line per update
 * otherwise (the callers update once a second), so logs of a CI run stay readable.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr) {
  const tty = Boolean(stream.isTTY);
  let open = false;
  return {
    update(line: string) {
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        open = true;
      } else stream.write(`${line}\n`);
    },
    /** A message that stays (ends the in-place line first). */
    say(line: string) {
      if (open) stream.write("\n");
      open = false;
      stream.write(`${line}\n`);
    },
  };
}

export type Progress = ReturnType<typeof createProgress>;
