import Foundation

/// What a supervisor starts: an executable and its arguments.
struct ChildCommand {
    var executable: URL
    var arguments: [String]
}
