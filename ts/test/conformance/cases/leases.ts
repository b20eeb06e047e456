// Conformance case of leases (crates/azblob/tests/conformance/tags_leases.rs):
// acquire with a proposed id, writes refused without it and accepted with
// it, renew, change, release, and break. Lease ids are fixed, so a recording
// and its replay send the same requests.

import assert from "node:assert/strict";
import { lease } from "../../../src/index.js";
import type { Case } from "../data.js";
import { rejects } from "./common.js";

const FIRST = "0a0b0c0d-0000-4000-8000-000000000001";
const SECOND = "0a0b0c0d-0000-4000-8000-000000000002";

export const LEASE_CASES: Record<string, Case> = {
  async lease_actions_and_guarded_writes(_client, container) {
    const blob = container.blob("manifest.json");
    await blob.put("v1");
    const granted = await blob.acquireLeaseOpts(60, { proposedLeaseId: FIRST });
    assert.equal(granted.leaseId, FIRST);

    const err = await rejects(blob.put("v2"));
    assert.deepEqual([err.kind, err.errorCode], ["PreconditionFailed", "LeaseIdMissing"]);
    assert.equal((await rejects(blob.acquireLease("infinite"))).kind, "Conflict");
    const leased = { conditions: lease(FIRST) };
    await blob.putOpts("v2", leased);

    assert.equal((await blob.renewLease(FIRST)).leaseId, FIRST);
    assert.equal((await blob.changeLease(FIRST, SECOND)).leaseId, SECOND);
    assert.equal((await rejects(blob.putOpts("v3", leased))).kind, "PreconditionFailed");
    await blob.releaseLease(SECOND);
    await blob.put("v3");

    await blob.acquireLease("infinite");
    assert.equal(await blob.breakLeaseOpts({ breakPeriod: 0 }), 0);
    await blob.delete();
  },
};
