#pragma once
// Top-k search of an HNSW graph (faiss's structure) over fp16 vectors, one
// query at a time. faiss 1.7.3 scores each neighbour as it meets it, so every
// vector read (2 KB, somewhere in 200 MB at 100 000 entries) waits for memory
// on its own; here a node's unvisited neighbours are gathered first and their
// vectors prefetched a few ahead of the one being scored. Same algorithm as
// faiss's (greedy descent through the upper levels, a beam of `ef` at level 0).
#include <faiss/impl/HNSW.h>

#include <vector>

#include "retrieval/embedding_index.h"

namespace kvr {

struct SimdHalfIP;

// Best first; at most k (fewer when the graph has fewer rows).
std::vector<EmbeddingIndex::Hit> searchHalfGraph(const faiss::HNSW& graph,
                                                 const SimdHalfIP& vectors, const float* query,
                                                 int k, int ef);

}  // namespace kvr
