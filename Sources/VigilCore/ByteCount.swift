internal import Foundation

/// A number of bytes as people read it.
public enum ByteCount {
    /// `4.00 GiB`, `512.00 KiB`, `17 B` (binary units).
    public static func text(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.2f", value) + " " + units[unit]
    }
}
