// In-place exclusive prefix sums of a u32 array, in blocks of 1024 elements
// (256 threads × 4): `scan_block` scans each block and writes its total to
// `sums`; the host scans `sums` the same way (recursively) and `scan_add`
// adds each block's scanned total back. The MSM uses it to turn bucket
// sizes into bucket offsets (a CSR transpose) on the device.

// x: elements in `data`, y: blocks
@group(0) @binding(0) var<uniform> shape: vec4<u32>;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> sums: array<u32>;

var<workgroup> totals: array<u32, 256>;

@compute @workgroup_size(256)
fn scan_block(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let block = wid.x + wid.y * nwg.x;
    if (block >= shape.y) {
        return;
    }
    let base = block * 1024u + lid.x * 4u;
    var before: array<u32, 4>;
    var own = 0u;
    for (var i = 0u; i < 4u; i++) {
        before[i] = own;
        if (base + i < shape.x) {
            own += data[base + i];
        }
    }
    totals[lid.x] = own;
    workgroupBarrier();
    // Hillis–Steele inclusive scan of the 256 thread totals.
    for (var d = 1u; d < 256u; d <<= 1u) {
        var add = 0u;
        if (lid.x >= d) {
            add = totals[lid.x - d];
        }
        workgroupBarrier();
        totals[lid.x] += add;
        workgroupBarrier();
    }
    let offset = totals[lid.x] - own;
    for (var i = 0u; i < 4u; i++) {
        if (base + i < shape.x) {
            data[base + i] = offset + before[i];
        }
    }
    if (lid.x == 255u) {
        sums[block] = totals[255];
    }
}

@compute @workgroup_size(256)
fn scan_add(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let block = wid.x + wid.y * nwg.x;
    if (block >= shape.y) {
        return;
    }
    let add = sums[block];
    for (var i = 0u; i < 4u; i++) {
        let at = block * 1024u + lid.x * 4u + i;
        if (at < shape.x) {
            data[at] += add;
        }
    }
}
