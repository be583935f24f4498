import assert from "node:assert/strict";
import { it } from "node:test";
import { parseArecordL } from "../../src/cli/commands/devices.js";

it("parses `arecord -L` into device names and descriptions", () => {
  const text = [
    "null",
    "    Discard all samples (playback) or generate zero samples (capture)",
    "default",
    "    Default Audio Device",
    "plughw:CARD=Device,DEV=0",
    "    USB PnP Sound Device, USB Audio",
    "    Hardware device with all software conversions",
    "",
  ].join("\n");
  assert.deepEqual(parseArecordL(text), [
    { name: "null", description: "Discard all samples (playback) or generate zero samples (capture)" },
    { name: "default", description: "Default Audio Device" },
    {
      name: "plughw:CARD=Device,DEV=0",
      description: "USB PnP Sound Device, USB Audio — Hardware device with all software conversions",
    },
  ]);
});
