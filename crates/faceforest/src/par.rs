//! Thin wrappers so the same code runs with rayon (`parallel`) or on one thread.

#[cfg(feature = "parallel")]
pub use rayon::prelude::*;

/// `map` over `0..n`, in parallel when the feature is on, collecting in order.
pub fn map_range<T: Send, F: Fn(usize) -> T + Sync + Send>(n: usize, f: F) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).map(f).collect()
    }
}

/// Runs `f` on each mutable chunk with its index, in parallel when possible.
pub fn for_chunks_mut<T: Send, F: Fn(usize, &mut [T]) + Sync + Send>(
    data: &mut [T],
    chunk: usize,
    f: F,
) {
    #[cfg(feature = "parallel")]
    {
        data.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
    #[cfg(not(feature = "parallel"))]
    {
        data.chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
}

/// `rayon::join` or sequential calls.
pub fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    #[cfg(feature = "parallel")]
    {
        rayon::join(a, b)
    }
    #[cfg(not(feature = "parallel"))]
    {
        (a(), b())
    }
}

/// Number of worker threads prediction and training can use.
pub fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}
