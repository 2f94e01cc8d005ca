import COpenBLAS

/// Facts about the BLAS library FleetTensor computes with.
public enum BLAS {
    /// OpenBLAS's build description, e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"`.
    ///
    /// The corresponding C function is `openblas_get_config`.
    public static var configuration: String {
        String(cString: openblas_get_config())
    }

    /// The number of threads OpenBLAS uses for one call.
    ///
    /// Deterministic mode pins this to 1 so that results are bit-identical across runs.
    /// The corresponding C functions are `openblas_get_num_threads` and `openblas_set_num_threads`.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
