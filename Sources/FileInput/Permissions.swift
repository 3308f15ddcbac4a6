// A file that exists but may not be read (no read permission, or a directory on its path that
// may not be searched) looks absent to FileManager's existence checks, so a reader would say
// "not found" about a file the user can see. The readers ask here first, to say what is wrong.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What keeps this process from reading `path`, when permissions do, in words that follow the
/// path in an error message: "cannot read the file (permission denied)", "cannot read the
/// directory (permission denied)", or "cannot open the directory D (permission denied)" for a
/// directory on the way; nil when `path` can be read, or is simply not there. Root may read
/// everything, so as root this is always nil.
public func permissionProblem(reading path: String) -> String? {
  let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
  // The directories on the way, outermost first: each must let us search it.
  var ancestors: [String] = []
  var parent = (absolute as NSString).deletingLastPathComponent
  while parent != "/" && !parent.isEmpty {
    ancestors.insert(parent, at: 0)
    parent = (parent as NSString).deletingLastPathComponent
  }
  for directory in ancestors where access(directory, X_OK) != 0 && errno == EACCES {
    return "cannot open the directory \(directory) (permission denied)"
  }
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else { return nil }
  // A directory is read by listing it (R) and opening what is in it (X).
  let mode = isDirectory.boolValue ? R_OK | X_OK : R_OK
  guard access(absolute, mode) != 0 && errno == EACCES else { return nil }
  return "cannot read the \(isDirectory.boolValue ? "directory" : "file") (permission denied)"
}
