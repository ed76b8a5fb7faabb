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
            // Field 3 (state) is fields[0]: utime is field 14, stime 15, vsize 23, rss 24.
            func field(_ number: Int) -> Double { fields.count > number - 3 ? Double(fields[number - 3]) ?? 0 : 0 }
            if ticks > 0 { figures.cpuSeconds = (field(14) + field(15)) / ticks }
            figures.startTimeSeconds = processStartTime
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

    /// When this process started, in Unix seconds: the boot time (`btime` in /proc/stat) plus
    /// the start in clock ticks after boot (field 22 of /proc/self/stat). It does not change, so
    /// it is read once, not at every scrape.
    private static let processStartTime: Double = {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0, let machine = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let btime = machine.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(btime.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces)),
              let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 22 - 3, let started = Double(fields[22 - 3]) else { return 0 }
        return boot + started / ticks
    }()
}
