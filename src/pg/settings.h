// Settings (GUCs) of the extension, defined in module.cpp.
#pragma once

// cfrec.threads: threads for training; 0 = one per CPU core.
extern int cfrec_threads;

// cfrec.cache_size: MB of models each backend keeps in memory for serving.
extern int cfrec_cache_size_mb;

// cfrec.shared_cache_size: MB of models the whole server keeps in shared
// memory for every backend to read (shared_cache.h); 0 turns it off.
extern int cfrec_shared_cache_size_mb;

// cfrec.max_training_memory: MB one training may hold beyond its input;
// defaults to a quarter of the machine's memory. Only superusers change it.
extern int cfrec_max_training_memory_mb;

// cfrec.half_precision_scoring: score items from a half-precision copy
// first; results are exact either way, this only changes the speed.
extern bool cfrec_half_precision_scoring;
