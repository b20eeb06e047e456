//! The bench's checksum section: how fast MD5 and CRC64 (CRC-64/NVME, the
//! SIMD `crc64fast-nvme` azblob uses) hash in memory, in GB/s and CPU
//! seconds per GB, on one core, in the release worker
//! (`xtask bench-checksums SIZE_MIB`). A transfer that checks its data pays
//! this on top of its I/O; `cargo xtask bench --only checksum` runs the
//! section alone.

use std::time::Instant;

use md5::Digest as _;

use crate::proc_stats::cpu_seconds;

const MIB: u64 = 1024 * 1024;

/// Hashes `size_mib` MiB (a 64 MiB buffer fed repeatedly, as blocks are
/// fed) with each algorithm and prints one row per algorithm.
pub(crate) fn main(args: &[String]) -> Result<(), String> {
    let size_mib: u64 = match args {
        [size] => size.parse().map_err(|_| format!("not a size in MiB: {size:?}"))?,
        _ => return Err("usage: bench-checksums SIZE_MIB".into()),
    };
    let buffer = azblob_testkit::pseudo_random_bytes(64 * MIB, 1);
    let rounds = size_mib.div_ceil(64).max(1);
    let gb = (rounds * 64 * MIB) as f64 / 1e9;
    println!("{:<10} {:>8} {:>10}  ({} MiB, one core)", "checksum", "GB/s", "CPU-s/GB", rounds * 64);
    for (name, hash) in [("md5", md5_of as fn(&[u8], u64) -> u64), ("crc64", crc64_of)] {
        let (cpu0, started) = (cpu_seconds(), Instant::now());
        let out = hash(&buffer, rounds);
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        // The result is printed so the work cannot be optimized away.
        println!("{name:<10} {:>8.2} {:>10.3}  ({out:016x})", gb / seconds, cpu / gb);
    }
    Ok(())
}

fn md5_of(buffer: &[u8], rounds: u64) -> u64 {
    let mut hasher = md5::Md5::new();
    for _ in 0..rounds {
        hasher.update(buffer);
    }
    u64::from_le_bytes(hasher.finalize()[..8].try_into().expect("16 bytes"))
}

fn crc64_of(buffer: &[u8], rounds: u64) -> u64 {
    let mut digest = crc64fast_nvme::Digest::new();
    for _ in 0..rounds {
        digest.write(buffer);
    }
    digest.sum64()
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc64_is_azures() {
        // Real Azure's x-ms-content-crc64 for "Hello World" is YeJLfssylmU=, little-endian.
        assert_eq!(super::crc64_of(b"Hello World", 1).to_le_bytes(), [0x61, 0xe2, 0x4b, 0x7e, 0xcb, 0x32, 0x96, 0x65]);
    }
}
