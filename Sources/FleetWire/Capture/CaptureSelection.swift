import Foundation

/// The capture files named on a command line: a capture directory stands for its files (those
/// its manifest lists, in order; or, without a manifest, its `<kind>-NNNNN.fleetrec` files by
/// name), and a file for itself.
public struct CaptureSelection {
    /// The files, in reading order.
    public var files: [String]
    /// The manifest of the first capture directory given, if it has one.
    public var manifest: CaptureManifest?
    /// The first capture directory given.
    public var directory: URL?

    /// Resolves `paths`, keeping a directory's files of the kinds `kinds`.
    public init(_ paths: [String], kinds: Set<CaptureEntry.Kind>) throws {
        files = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { throw CaptureError.notACapture(path: path) }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let url = URL(fileURLWithPath: path, isDirectory: true)
            let names: [String]
            if manager.fileExists(atPath: url.appendingPathComponent(CaptureManifest.fileName).path) {
                let manifest = try CaptureManifest.read(directory: url)
                if directory == nil {
                    directory = url
                    self.manifest = manifest
                }
                let kindNames = Set(kinds.map(\.name))
                // Actors' own captures (fleet actor --capture) sit beside the learner's, unlisted.
                let listed = manifest.files.filter { kindNames.contains($0.kind) }.map(\.name)
                let unlisted = kinds.contains(.sent) ? Self.files(in: url, ofKinds: [.sent]).filter { !listed.contains($0) } : []
                names = listed + unlisted
            } else {
                names = Self.files(in: url, ofKinds: kinds)
                if directory == nil { directory = url }
            }
            guard !names.isEmpty else { throw CaptureError.notACapture(path: path) }
            files += names.map { url.appendingPathComponent($0).path }
        }
    }

    /// The capture files of `kinds` in `directory` by name: `<kind>-NNNNN.fleetrec` (the learner's)
    /// and `<actor>-i<incarnation>-<kind>-NNNNN.fleetrec` (an actor's).
    package static func files(in directory: URL, ofKinds kinds: Set<CaptureEntry.Kind>) -> [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return all.filter { name in
            name.hasSuffix(".\(CaptureFileSeries.fileExtension)")
                && kinds.contains { name.hasPrefix("\($0.name)-") || name.contains("-\($0.name)-") }
        }.sorted()
    }

    /// The resolved config the capture's manifest names, if there is one.
    public var configFile: String? {
        guard let directory, let manifest else { return nil }
        return directory.appendingPathComponent(manifest.config).path
    }
}
