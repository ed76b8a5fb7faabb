import Foundation
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

extension ProcessFigures {
    /// This process now, from /proc (Linux): what Prometheus's client
    /// libraries report as `process_*`. Zero where /proc is not there.
    static func sample() -> ProcessFigures {
        var figures = ProcessFigures()
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // /proc/self/stat: "pid (comm) state ppid …"; the name may hold spaces and parentheses, so fields count from the last ")".
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // Field 3 (state) is fields[0]: utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
            func field(_ number: Int) -> Double { fields.count > number - 3 ? Double(fields[number - 3]) ?? 0 : 0 }
            if ticks > 0 {
                figures.cpuSeconds = (field(14) + field(15)) / ticks
                if let boot = bootTime() { figures.startTimeSeconds = boot + field(22) / ticks }
            }
            figures.virtualMemoryBytes = field(23)
            figures.residentMemoryBytes = field(24) * Double(pageSize)
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            figures.openFileDescriptors = Double(descriptors.count)
        }
        var limit = rlimit()
        #if canImport(Glibc)
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 { figures.maxFileDescriptors = Double(limit.rlim_cur) }
        #endif
        return figures
    }

    /// When the machine booted, in Unix seconds (`btime` in /proc/stat).
    private static func bootTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
