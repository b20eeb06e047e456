// Starts Azurite's blob service and stops it when the parent process goes away.
//
// The test tooling holds this process's stdin open; when the tooling exits,
// however it exits (even killed), the pipe closes and so does the emulator,
// so no orphaned emulators outlive a test run.
"use strict";
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
require("./node_modules/azurite/dist/src/blob/main.js");
