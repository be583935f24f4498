import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadClassMap, SHARED_CLASS_MAP } from "../../src/inference/class-map.js";

const dir = mkdtempSync(join(tmpdir(), "babymon-class-map-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const csv = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("YAMNet class map", () => {
  it("reads the 521 classes, with quoted names that contain commas", () => {
    const map = loadClassMap(SHARED_CLASS_MAP);
    assert.equal(map.names.length, 521);
    assert.equal(map.names[0], "Speech");
    assert.equal(map.names[1], "Child speech, kid speaking");
    assert.equal(map.names[14], "Baby laughter");
    assert.deepEqual(
      [19, 20, 21].map((i) => map.names[i]),
      ["Crying, sobbing", "Baby cry, infant cry", "Whimper"],
    );
    assert.equal(map.mids[0], "/m/09x0r");
    assert.equal(map.indexOf("Baby cry, infant cry"), 20);
    assert.equal(map.indexOf("No such class"), -1);
  });

  it("refuses a file that is not a class map, naming it and the line", () => {
    assert.throws(
      () => loadClassMap(csv("x.csv", "a,b,c\n")),
      /x\.csv: expected the header "index,mid,display_name", got "a,b,c"/,
    );
    assert.throws(
      () => loadClassMap(csv("y.csv", 'index,mid,display_name\n0,/m/1,A\n2,/m/2,"B, c"\n')),
      /y\.csv: line 3 should be "1,<mid>,<name>", got "2,\/m\/2,\\"B, c\\""/,
    );
  });
});
