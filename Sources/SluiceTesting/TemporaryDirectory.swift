import Foundation

/// A fresh directory under the system's temporary folder, removed by `remove()`
/// and, with every other one this process made, when the process exits.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "sluice-test") throws {
        let path = TemporaryDirectory.root + "/\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Writes `contents` to `relative`, creating folders.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> String {
        try write(relative, Data(contents.utf8))
    }

    @discardableResult
    public func write(_ relative: String, _ data: Data) throws -> String {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url.path
    }

    public func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + relative)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Where this process's directories go: `sluice-tests-<pid>`, removed at exit,
    /// so a test that does not remove its own (or fails before it can) leaves nothing
    /// behind. Those of test processes that no longer run (a crash, a kill) are
    /// removed when the next one starts.
    static let root: String = {
        let temporary = NSTemporaryDirectory()
        let root = temporary + "sluice-tests-\(getpid())"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        for entry in entries where entry.hasPrefix("sluice-tests-") {
            guard let pid = Int32(entry.dropFirst("sluice-tests-".count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: temporary + entry)
        }
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "sluice-tests-\(getpid())")
        }
        return root
    }()
}
