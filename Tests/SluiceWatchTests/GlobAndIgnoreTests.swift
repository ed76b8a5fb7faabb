import SluiceCore
import SluiceWatch
import Testing

@Suite struct GlobAndIgnoreTests {
    @Test(arguments: [
        ("*.md", "a.md", true), ("*.md", "deep/er/a.md", true), ("*.md", "a.mdx", false),
        ("docs/*.md", "docs/a.md", true), ("docs/*.md", "x/docs/a.md", false), ("docs/*.md", "docs/x/a.md", false),
        ("docs/**/*.md", "docs/a.md", true), ("docs/**/*.md", "docs/x/y/a.md", true), ("**/tmp/*", "a/tmp/b", true),
        ("/top.txt", "top.txt", true), ("/top.txt", "x/top.txt", false), ("file?.txt", "file1.txt", true),
        ("file?.txt", "file10.txt", false), ("[ab]*.txt", "b1.txt", true), ("[!ab]*.txt", "b1.txt", false),
        ("[a-c]x", "bx", true), ("réunion*", "réunion 2026.md", true),
    ])
    func globMatching(pattern: String, path: String, expected: Bool) throws {
        #expect(try GlobPattern(pattern).matches(path, isDirectory: false) == expected)
    }

    @Test func directoryPatternsMatchOnlyFolders() throws {
        let pattern = try GlobPattern("drafts/")
        #expect(pattern.matches("drafts", isDirectory: true))
        #expect(pattern.matches("a/drafts", isDirectory: true))
        #expect(!pattern.matches("drafts", isDirectory: false))
    }

    @Test func badPatternsAreRejectedWithAReason() {
        #expect(throws: SluiceError.self) { try GlobPattern("  ") }
        #expect(throws: SluiceError.self) { try GlobPattern("[abc") }
        #expect(throws: SluiceError.self) { try GlobPattern(String(repeating: "a", count: GlobPattern.maximumLength + 1)) }
        var rules = IgnoreRules()
        let problems = rules.addIgnoreFile("*.log\n!keep.log\n", name: ".sluiceignore")
        #expect(problems == [".sluiceignore line 2: negated patterns are not supported, so it is left out; use --include instead"])
        #expect(rules.exclude.map(\.source) == ["*.log"], "the other lines apply")
    }

    /// Patterns that made the old backtracking matcher take exponential time
    /// (this test did not finish with it): a name of 5,000 characters against
    /// stars that almost match, and `**` runs against a deep path.
    @Test func matchingIsPolynomialInTheWorstCase() throws {
        let stars = try GlobPattern(String(repeating: "*a", count: 40) + "b")
        #expect(!stars.matches(String(repeating: "a", count: 5000), isDirectory: false))
        #expect(stars.matches(String(repeating: "a", count: 5000) + "b", isDirectory: false))
        let depths = try GlobPattern(String(repeating: "**/", count: 40) + "x/y")
        let deep = Array(repeating: "x", count: 400).joined(separator: "/")
        #expect(!depths.matches(deep, isDirectory: false))
        #expect(depths.matches(deep + "/y", isDirectory: false))
    }

    @Test func ignoreFilesStopAtTheirPatternLimit() {
        var rules = IgnoreRules()
        let lines = (0..<(IgnoreRules.maximumPatternsPerFile + 5)).map { "p\($0)" }.joined(separator: "\n")
        let problems = rules.addIgnoreFile(lines, name: "t/.sluiceignore")
        #expect(rules.exclude.count == IgnoreRules.maximumPatternsPerFile)
        #expect(problems.count == 1 && problems[0].contains("only the first 1000 patterns apply"))
    }

    @Test func hiddenAndTemporaryNamesAreIgnored() {
        for name in [".git", ".env", ".#lock", "notes.md.swp", "a.txt~", "x.tmp", "big.part", "f.crdownload", "#auto#"] {
            #expect(IgnoreRules.isIgnoredName(name), "\(name)")
        }
        for name in ["notes.md", "tmp", "partial.md", "a~b.txt"] {
            #expect(!IgnoreRules.isIgnoredName(name), "\(name)")
        }
    }

    @Test func includeAndExcludeCombine() throws {
        var rules = IgnoreRules(include: [try GlobPattern("*.md")], exclude: [try GlobPattern("drafts/")])
        rules.addIgnoreFile("# comment\n\n*.secret.md\n", name: ".sluiceignore")
        #expect(rules.includesFile("a/b.md"))
        #expect(!rules.includesFile("a/b.txt"), "not included")
        #expect(!rules.includesFile("x.secret.md"), "excluded by the ignore file")
        #expect(!rules.includesDirectory("a/drafts"))
        #expect(rules.includesDirectory("a/final"))
    }
}
