// Keeping big buffers in the process.
//
// Every op allocates its result, and a training step allocates and frees the same large arrays
// (activations, gradients) over and over. glibc hands allocations above 128 KB straight back
// to the kernel, so each one is mapped afresh and page-faulted in, zero by zero; raising the
// threshold lets malloc reuse them (PyTorch keeps a caching allocator for the same reason).
// Measured on the bench's BERT step: page faults and kernel page clearing were ~5% of the time.

#if os(Linux)
  /// glibc's `mallopt`, declared in malloc.h, which Swift's Glibc module does not import.
  @_silgen_name("mallopt")
  func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

enum Memory {
  /// Done once, the first time a tensor is made.
  static let configured: Bool = {
    #if os(Linux)
      _ = mallopt(-3, 256 << 20)  // M_MMAP_THRESHOLD: allocations up to 256 MB come from the heap
      _ = mallopt(-1, 512 << 20)  // M_TRIM_THRESHOLD: keep up to 512 MB of freed memory
    #endif
    return true
  }()
}
