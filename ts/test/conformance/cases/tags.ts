// Conformance cases of blob index tags (crates/azblob/tests/conformance/tags_leases.rs):
// tags written, read, replaced, listed and found (in the container and
// across the account), and tag conditions on a read and a write. The tags
// name the case's container, so the account-wide search sees only this case's blobs.

import assert from "node:assert/strict";
import type { Conditions, Tags } from "../../../src/index.js";
import type { Case } from "../data.js";
import { collect, rejects, text } from "./common.js";

export const TAG_CASES: Record<string, Case> = {
  async tags_put_get_set_list_and_find(client, container) {
    const run = container.name;
    for (const [name, stage] of [
      ["a.txt", "prod"],
      ["b.txt", "dev"],
      ["c.txt", "prod"],
    ] as const) {
      await container.blob(name).putOpts(name, { tags: { stage, run } });
    }
    const a = container.blob("a.txt");
    assert.deepEqual(await a.getTags(), { run, stage: "prod" });
    const replaced: Tags = { run, stage: "dev", path: "x/y z" };
    await a.setTags(replaced);
    assert.deepEqual(await a.getTags(), replaced);

    const listed = (await collect(container.listBlobsOpts({ include: { tags: true } }))).map((item) => {
      assert.equal(item.kind, "blob", "a prefix without a delimiter");
      return item.kind === "blob" ? ([item.name, item.tags] as const) : (["", {}] as const);
    });
    assert.equal(listed.length, 3);
    assert.deepEqual(listed[0], ["a.txt", replaced]);
    assert.equal(listed[2]?.[1].stage, "prod");

    const prod = `"run" = '${run}' AND "stage" = 'prod'`;
    const here = (await collect(container.findBlobsByTags(prod))).map((b) => b.name);
    assert.deepEqual(here, ["c.txt"]);
    const dev = `"run" = '${run}' AND "stage" = 'dev'`;
    const everywhere = (await collect(client.findBlobsByTags(dev))).map((b) => `${b.container}/${b.name}`).sort();
    assert.deepEqual(everywhere, [`${run}/a.txt`, `${run}/b.txt`]);
  },

  async tags_conditions_on_reads_and_writes(_client, container) {
    const blob = container.blob("guarded.txt");
    await blob.putOpts("one", { tags: { stage: "dev" } });
    const prod: Conditions = { ifTags: `"stage" = 'prod'` };
    const dev: Conditions = { ifTags: `"stage" = 'dev'` };
    assert.equal((await rejects(blob.getOpts({ conditions: prod }))).kind, "PreconditionFailed");
    assert.equal((await rejects(blob.putOpts("two", { conditions: prod }))).kind, "PreconditionFailed");
    await blob.putOpts("two", { conditions: dev });
    assert.equal(text(await blob.download()), "two");
  },
};
