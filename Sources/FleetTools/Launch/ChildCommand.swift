import Foundation

/// What a supervisor starts: an executable and its arguments.
package struct ChildCommand {
    package var executable: URL
    package var arguments: [String]

    package init(executable: URL, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }
}
