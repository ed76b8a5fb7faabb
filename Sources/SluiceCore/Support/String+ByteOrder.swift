#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// Whether this string comes before `other` in the order of their UTF-8
    /// bytes (code point order; PostgreSQL's `COLLATE "C"`, a directory's
    /// names in a stable order), compared as memory: comparing the `utf8`
    /// views element by element was a twentieth of a scan's time.
    public func precedesInByteOrder(_ other: String) -> Bool {
        var (a, b) = (self, other)
        return a.withUTF8 { a in
            b.withUTF8 { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                return order != 0 ? order < 0 : a.count < b.count
            }
        }
    }
}
