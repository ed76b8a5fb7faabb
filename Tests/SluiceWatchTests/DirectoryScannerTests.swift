import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore
import SluiceTesting
import SluiceWatch
import Testing

@Suite struct DirectoryScannerTests {
    func scan(_ root: TenantRoot, rules: IgnoreRules = IgnoreRules()) throws -> (files: [String: ScannedFile], report: DirectoryScanner.Report) {
        var files: [String: ScannedFile] = [:]
        let report = DirectoryScanner(rules: rules).walk(root) { files[$0.key.docId.rawValue] = $0 }
        return (files, report)
    }

    @Test func findsFilesAndIgnoresHiddenAndTemporaryOnes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("acme/a.md", "a")
        try dir.write("acme/sub folder/b c.txt", "b")
        try dir.write("acme/.hidden/x.md", "x")
        try dir.write("acme/.env", "x")
        try dir.write("acme/draft.md.swp", "x")
        try dir.write("acme/drafts/d.md", "d")
        try dir.write("acme/.sluiceignore", "drafts/\n")
        let root = TenantRoot(tenant: try TenantID("acme"), directory: dir.path + "/acme", scanRoot: dir.path)
        let (files, report) = try scan(root)
        #expect(Set(files.keys) == ["a.md", "sub folder/b c.txt"])
        #expect(report.problems.isEmpty)
        #expect(files["a.md"]?.stat.size == 1)
    }

    @Test func docIdsAreNFCNormalized() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let decomposed = "Cafe\u{301}.md"  // NFD on disk
        let path = try dir.write("t/\(decomposed)", "menu")
        let root = TenantRoot(tenant: try TenantID("t"), directory: dir.path + "/t", scanRoot: dir.path + "/t")
        let (files, _) = try scan(root)
        let file = try #require(files["Caf\u{e9}.md"])
        #expect(file.key.docId.rawValue.unicodeScalars.count == 7 && decomposed.unicodeScalars.count == 8, "precomposed é")
        #expect(file.path == path, "the on-disk path keeps its own bytes")
    }

    @Test func symbolicLinksAreReportedAndNeverFollowed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("outside/secret.txt", "secret")
        try dir.write("acme/real.md", "real")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/acme/inside-link.md", withDestinationPath: dir.path + "/acme/real.md")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/acme/escape.txt", withDestinationPath: dir.path + "/outside/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/acme/escape-dir", withDestinationPath: dir.path + "/outside")
        let root = TenantRoot(tenant: try TenantID("acme"), directory: dir.path + "/acme", scanRoot: dir.path)
        let (files, _) = try scan(root)
        #expect(Set(files.keys) == ["real.md", "inside-link.md", "escape.txt", "escape-dir"])
        #expect(files["real.md"]?.isSymbolicLink == false)
        for link in ["inside-link.md", "escape.txt", "escape-dir"] {
            #expect(files[link]?.isSymbolicLink == true, "\(link) is reported as a link")
        }
        #expect(files.keys.allSatisfy { !$0.hasPrefix("escape-dir/") }, "a linked folder is never entered")
    }

    @Test func filesAreOpenedBeneathTheRootWithoutFollowingAnyLink() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("globex/a.md", "globex secret")
        try dir.write("acme/real/a.md", "acme")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/acme/d", withDestinationPath: "../globex")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/acme/real/link.md", withDestinationPath: "a.md")
        let acme = dir.path + "/acme"
        guard case .opened(let file) = try FileSystem.openFile(acme + "/real/a.md", beneath: acme) else {
            Issue.record("a regular file opens")
            return
        }
        #expect(try file.readAll() == Array("acme".utf8))
        for (path, what) in [("/d/a.md", "a file under a linked folder"), ("/real/link.md", "a link to a file inside the root")] {
            guard case .symbolicLink = try FileSystem.openFile(acme + path, beneath: acme) else {
                Issue.record("\(what) is refused as a link")
                continue
            }
        }
        guard case .missing = try FileSystem.openFile(acme + "/real/none.md", beneath: acme) else {
            Issue.record("a missing file is missing")
            return
        }
        guard case .notRegularFile = try FileSystem.openFile(acme + "/../globex/a.md", beneath: acme) else {
            Issue.record("a path that climbs out is refused")
            return
        }
        #expect(mkfifo(acme + "/fifo.md", 0o600) == 0)
        guard case .notRegularFile = try FileSystem.openFile(acme + "/fifo.md", beneath: acme) else {
            Issue.record("a FIFO is never opened for reading")
            return
        }
        #expect(throws: SluiceError.self, "listing through a link fails") { try FileSystem.listDirectory(acme + "/d", beneath: acme) }
    }

    @Test func ignoreFilesAreReadOnlyWhenSmallRegularFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("big.txt", String(repeating: "x\n", count: 100_000))
        try dir.write("fifo/a.md", "a")
        try dir.write("fifo/b.log", "b")
        #expect(mkfifo(dir.path + "/fifo/.sluiceignore", 0o600) == 0)
        try dir.write("linked/a.md", "a")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/linked/.sluiceignore", withDestinationPath: dir.path + "/big.txt")
        try dir.write("bad/a.md", "a")
        try dir.write("bad/b.log", "b")
        try dir.write("bad/c.tmpl", "c")
        try dir.write("bad/.sluiceignore", "*.log\n[unclosed\n!negated\n\(String(repeating: "*", count: 2000))\n*.tmpl\n")
        for tenant in ["fifo", "linked"] {
            let root = TenantRoot(tenant: try TenantID(tenant), directory: dir.path + "/" + tenant, scanRoot: dir.path + "/" + tenant)
            let (files, report) = try scan(root)  // a FIFO here hung the scan before
            #expect(!files.isEmpty)
            #expect(report.problems.count == 1 && report.problems[0].contains(".sluiceignore is not applied"), "\(report.problems)")
        }
        let root = TenantRoot(tenant: try TenantID("bad"), directory: dir.path + "/bad", scanRoot: dir.path + "/bad")
        let (files, report) = try scan(root)
        #expect(Set(files.keys) == ["a.md"], "the good lines apply")
        #expect(report.problems.count == 3, "each bad line is a problem: \(report.problems)")
        #expect(report.problems.allSatisfy { $0.contains(".sluiceignore line") })
    }

    @Test func discoversTenantFoldersAndReportsWhatCannotBeOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("acme/a.md", "a")
        try dir.write("globex/b.md", "b")
        try dir.write("Bad Name/c.md", "c")
        try dir.write("stray.md", "s")
        try dir.write(".hidden/d.md", "d")
        let (roots, problems) = try TenantRoot.discover(root: dir.path, singleTenant: nil)
        #expect(roots.map(\.tenant.rawValue) == ["acme", "globex"])
        #expect(problems.count == 2)
        #expect(problems.contains { $0.contains("Bad Name") && $0.contains("rename") })
        #expect(problems.contains { $0.contains("stray.md") && $0.contains("--tenant") })
        let single = try TenantRoot.discover(root: dir.path + "/acme", singleTenant: try TenantID("solo"))
        #expect(single.roots == [TenantRoot(tenant: try TenantID("solo"), directory: dir.path + "/acme", scanRoot: dir.path + "/acme")])
        #expect(throws: SluiceError.self) { try TenantRoot.discover(root: dir.path + "/missing", singleTenant: nil) }
    }

    @Test func unchangedNeedsEqualNanosecondStatAndANonRacyMtime() {
        let stat = FileStat(size: 10, mtimeNanos: 1_000_000_500, ctimeNanos: 1_000_000_500, inode: 3)
        let recorded = FileState(
            key: DocumentKey(tenant: try! TenantID("t"), docId: try! DocumentID("a.md")), root: "/r", tenantDirectory: "/r/t",
            path: "/r/t/a.md", stat: stat, contentHash: ContentHash.of("x"), recordedAtNanos: 2_000_000_000)
        #expect(recorded.isUnchanged(comparedTo: stat))
        var sameSecond = stat
        sameSecond.mtimeNanos += 1  // same size, same whole second
        #expect(!recorded.isUnchanged(comparedTo: sameSecond))
        var moved = stat
        moved.inode = 4
        #expect(!recorded.isUnchanged(comparedTo: moved))
        var racy = recorded
        racy.recordedAtNanos = stat.mtimeNanos  // recorded in the same tick the file was written
        #expect(!racy.isUnchanged(comparedTo: stat), "a racy entry is hashed again")
    }
}
