import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { memoryIo } from "./io.js";
import { buildProgram } from "./program.js";

function everyCommand(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((c) => everyCommand(c))];
}

describe("help texts", () => {
  it("name only paths that ship with the product", () => {
    const commands = everyCommand(buildProgram(memoryIo()));
    expect(commands.length).toBeGreaterThan(10);
    for (const c of commands) {
      const help = c.helpInformation();
      expect({ command: c.name(), help }).not.toEqual(
        expect.objectContaining({ help: expect.stringMatching(/\.\.\/|shared\/data|\/work\/|\/tmp\//) }),
      );
    }
  });
});
