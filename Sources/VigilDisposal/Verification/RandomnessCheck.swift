/// The check for `--expect random`: a block overwritten with random data shows no structure.
///
/// Each block must have a byte entropy close to 8 bits, a chi-square statistic over the 256 byte
/// values inside the bounds a uniform source gives (with 255 degrees of freedom the statistic
/// has mean 255 and standard deviation about 22.6; the bounds are ±6 deviations, so a random
/// block fails about once in a billion), no run of printable text of 32 bytes or more, and no
/// partition table or file-system signature where one would be. This proves no recognisable
/// data is left, not that every byte was overwritten: the weaker check, and reports say so.
enum RandomnessCheck {
    static let minimumEntropy = 7.9
    static let chiSquareBounds = 119.0...391.0
    static let longestPrintable = 32

    /// Why `block`, read at `offset` on the medium, does not look random; `nil` when it does.
    /// Blocks under 4 KiB are judged on signatures and text only (too few bytes for statistics).
    static func problem(_ block: UnsafeRawBufferPointer, at offset: Int64) -> String? {
        if let signature = signature(block, at: offset) { return signature }
        var run = 0
        for byte in block {
            if byte >= 0x20 && byte < 0x7F || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                run += 1
                if run >= longestPrintable {
                    return "a run of \(longestPrintable) printable characters (text left on the medium)"
                }
            } else {
                run = 0
            }
        }
        guard block.count >= 4096 else { return nil }
        var counts = [Int](repeating: 0, count: 256)
        for byte in block { counts[Int(byte)] += 1 }
        let total = Double(block.count)
        let expected = total / 256
        var entropy = 0.0
        var chiSquare = 0.0
        for count in counts {
            let difference = Double(count) - expected
            chiSquare += difference * difference / expected
            if count > 0 {
                let p = Double(count) / total
                entropy -= p * log2(p)
            }
        }
        // The statistics scale with the block: judge them per 64 KiB, the size the bounds are for.
        let scaledChi = 255 + (chiSquare - 255) * (65536 / total).squareRoot()
        if entropy < minimumEntropy {
            return "entropy \(Self.format(entropy)) bits per byte, under \(minimumEntropy)"
        }
        if !chiSquareBounds.contains(scaledChi) {
            return "byte frequencies unlike a random source (chi-square \(Self.format(chiSquare)))"
        }
        return nil
    }

    /// A partition table or file-system signature at the place it would sit on the medium.
    static func signature(_ block: UnsafeRawBufferPointer, at offset: Int64) -> String? {
        func bytes(at absolute: Int64, _ expected: [UInt8]) -> Bool {
            let index = absolute - offset
            guard index >= 0, index + Int64(expected.count) <= Int64(block.count) else { return false }
            return expected.indices.allSatisfy { block[Int(index) + $0] == expected[$0] }
        }
        func byte(at absolute: Int64) -> UInt8? {
            let index = absolute - offset
            guard index >= 0, index < Int64(block.count) else { return nil }
            return block[Int(index)]
        }
        // Two-byte magics alone would match random data once in 65,536 blocks: each also needs
        // the fields around it to make sense.
        if bytes(at: 510, [0x55, 0xAA]),
            (0..<4).allSatisfy({ [0x00, 0x80].contains(byte(at: 446 + 16 * Int64($0)) ?? 1) })
        {
            return "an MBR partition table (0x55AA at offset 510)"
        }
        if bytes(at: 1080, [0x53, 0xEF]), let log = byte(at: 1048), log <= 6, let revision = byte(at: 1100),
            revision <= 1, byte(at: 1101) == 0, byte(at: 1102) == 0, byte(at: 1103) == 0
        {
            return "an ext2/3/4 superblock (magic 0xEF53 at offset 1080)"
        }
        if bytes(at: 512, Array("EFI PART".utf8)) { return "a GPT header ('EFI PART' at offset 512)" }
        if bytes(at: 3, Array("NTFS    ".utf8)) { return "an NTFS boot sector" }
        if bytes(at: 0, Array("XFSB".utf8)) { return "an XFS superblock" }
        if bytes(at: 0, [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE]) { return "a LUKS header" }
        if bytes(at: 82, Array("FAT32   ".utf8)) || bytes(at: 54, Array("FAT1".utf8)) { return "a FAT boot sector" }
        if bytes(at: 0x10040, Array("_BHRfS_M".utf8)) { return "a Btrfs superblock" }
        return nil
    }

    private static func format(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return String(scaled)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
