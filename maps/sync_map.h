// sync_map.h — gort::sync_map: Go's sync.Map (src/sync/map.go) rebuilt in C++20.
//
// A map for many threads whose keys, once written, are mostly read: loads, and stores over
// keys already present, run without the lock. Two tables share one set of entries:
//
//   read_   an atomically published read_only node: a gort::map<K, entry*> that is never
//           written after publication, and the amended flag ("the dirty table holds keys
//           that read_ lacks"). Readers use it with no lock.
//   dirty_  under mu_: a read_only node not yet published, holding every live entry of read_
//           plus the keys stored since it was made; nullptr when it would equal read_.
//
// An entry is a heap cell shared by both tables: an atomic pointer p to an immutable box
// holding one value (Go's entry, whose p points at an interface value). A store to a key
// present in read_ swaps p with a CAS and touches neither table. p is
//   a box       the key's value;
//   nullptr     the key was deleted, and the entry is still in read_ (and in dirty_ if
//               dirty_ exists), so that storing the key again needs no lock;
//   kExpunged   the key was deleted and dirty_ was built without it: the entry is in read_
//               only, and storing the key again must put the entry back into dirty_ first,
//               under mu_ (unexpunge). The sentinel is the address 1, never a box, so
//               "p holds a value" is the one test p > 1.
//
// A load (the stable case in three steps, and no lock, no atomic read-modify-write):
//   1. open a read section (reclaim.h): the objects loaded below stay alive until it ends;
//   2. look k up in read_ (acquire load of the node, then a plain gort::map lookup);
//   3. found: load the entry's p (acquire); a box: copy its value out. Not found and
//      read_ is amended: lock mu_, look again in read_, then in dirty_, and count a miss.
// A store: look k up in read_; found and not expunged: CAS p from what it was to a new box,
// retire the old box. Otherwise lock mu_: an expunged entry in read_ is put back into dirty_
// and set; an entry in dirty_ is set; a new key makes dirty_ (if there is none: every live
// entry of read_ is copied, nullptr ones are expunged instead and left out), marks read_
// amended, and gets a new entry in dirty_.
// Promotion: each lookup that had to go to dirty_ is a miss; when misses >= len(dirty_),
// dirty_ is published as the new read_ (one release store), and the old read_ node is
// retired together with the entries that only it held (those still expunged). A grow of
// dirty_'s table still in progress is finished first (its remaining evacuations, which the
// inserts to come would have done): a table that is never written again would otherwise
// send every lookup through the old buckets for as long as it is read_. range()
// promotes at once when read_ is amended, so that it walks one table holding every key.
//
// Go 1.19 has Load, Store, LoadOrStore, LoadAndDelete, Delete and Range; swap,
// compare_and_swap and compare_and_delete follow Go 1.20's Swap, CompareAndSwap and
// CompareAndDelete and their documented semantics: compare_and_swap and compare_and_delete
// of a key with no value return false; a compare_and_delete that finds its key in dirty_
// leaves the entry there (it is expunged at the next dirty_ build) and counts a miss either
// way; compare_and_swap counts a miss when it found the key in dirty_. Values are compared
// with V's operator==.
//
// Lifetimes (Go's collector keeps everything alive; here reclaim.h does): every public
// operation runs inside one read section, and whatever it unlinks is retired, never freed:
//   a box      replaced or deleted by a CAS/exchange of p: retired by the thread that won it;
//   a node     read_ replaced by promotion: retired with the list of its expunged entries,
//              which no other table holds and no operation can change again (only an
//              entry of the current read_ is ever unexpunged);
//   an entry   removed from dirty_ by load_and_delete/del of a key not in read_: retired at
//              once; other threads that found it under mu_ may still CAS its p, but only to
//              nullptr, and the remover's own delete does the same, so when it is freed p
//              is nullptr and holds no box.
// A CAS on p can therefore not suffer ABA: the box it expects cannot be freed and its
// address reused while the section that loaded it is open.
// range() holds its section across the whole walk, callbacks included (a callback may
// call any operation of any map, but a slow one holds reclamation back meanwhile).
//
// Invariants (check() walks them under mu_; tests call it):
//   S1. dirty_ != nullptr  <=>  read_->amended
//   S2. dirty_ == nullptr  =>  no entry of read_ is expunged
//   S3. dirty_ != nullptr  =>  for each (k, e) in read_: e expunged <=> k not in dirty_,
//       and dirty_[k] == e otherwise; e expunged => e is on read_'s expunged list
//   S4. no entry of dirty_ is expunged
//   S5. dirty_ != nullptr  =>  misses_ < len(dirty_)
//
// Synchronisation contract:
//   read_           stored under mu_ (release), loaded anywhere (acquire); the node it
//                   points to is immutable but for amended.
//   read_->amended  set under mu_ (release), loaded anywhere (acquire).
//   read_only::expunged   under mu_ while the node is read_; the reclaimer's afterwards.
//   dirty_, misses_ mu_.
//   entry::p        CAS anywhere; nullptr -> kExpunged and kExpunged -> nullptr under mu_
//                   only; plain stores (exchange) under mu_ only.
//   entry::next     under mu_ (the expunged list of the node being retired).
//
// Costs: load of a stable key: a gort::map lookup plus the read section (reclaim.h) and
// two acquire loads; no allocation. store of a present key: one allocation (the box), one
// CAS, one retire. len() walks the table: O(n), like counting with range. Iteration order
// is the read table's bucket order (not randomised per call as Go's range is).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "alloc/runtime.h"
#include "maps/map.h"
#include "maps/reclaim.h"

namespace gort {

template <class K, class V, class Hash = gort::hash<K>, class Eq = gort::equal_to<K>>
class sync_map {
  static_assert(std::is_copy_constructible_v<V>, "sync_map values are copied out by load");

  struct box {
    V v;
  };
  struct entry {
    std::atomic<box*> p;
    entry* next = nullptr;  // the expunged list of a retired node
  };
  using table = map<K, entry*, Hash, Eq>;
  struct read_only {
    table m;
    std::atomic<bool> amended{false};
    entry* expunged = nullptr;  // entries expunged while this node was read_
  };

 public:
  using key_type = K;
  using mapped_type = V;

  sync_map() : read_(make<read_only>()) {}
  ~sync_map();
  sync_map(const sync_map&) = delete;
  sync_map& operator=(const sync_map&) = delete;

  // Go's Load.
  std::optional<V> load(const K& k) {
    maps::reclaim::read_section rs;
    const read_only* r = read_.load(std::memory_order_acquire);
    if (entry* const* e = r->m.lookup(k)) [[likely]]
      return value_of(*e);
    if (!r->amended.load(std::memory_order_acquire)) return std::nullopt;
    return load_slow(k);
  }

  // Go's Store.
  void store(const K& k, V v) {
    maps::reclaim::read_section rs;
    box* b = new_box(std::move(v));
    const read_only* r = read_.load(std::memory_order_acquire);
    if (entry* const* e = r->m.lookup(k)) [[likely]] {
      box* old;
      if (try_swap(*e, b, old)) [[likely]] {
        retire_box(old);
        return;
      }
    }
    retire_box(swap_slow(k, b));
  }

  // Go's LoadOrStore: the value now in the map, and whether it was there before.
  std::pair<V, bool> load_or_store(const K& k, V v) {
    maps::reclaim::read_section rs;
    const read_only* r = read_.load(std::memory_order_acquire);
    if (entry* const* e = r->m.lookup(k)) [[likely]] {
      std::optional<std::pair<V, bool>> res = try_load_or_store(*e, v);
      if (res) [[likely]]
        return *std::move(res);
    }
    return load_or_store_slow(k, std::move(v));
  }

  // Go's LoadAndDelete: the value deleted, if there was one.
  std::optional<V> load_and_delete(const K& k) {
    maps::reclaim::read_section rs;
    entry* e = find_for_delete(k);
    if (e == nullptr) return std::nullopt;
    box* p = delete_value(e);
    if (p == nullptr) return std::nullopt;
    std::optional<V> v(p->v);
    retire_box(p);
    return v;
  }

  // Go's Delete.
  void del(const K& k) {
    maps::reclaim::read_section rs;
    if (entry* e = find_for_delete(k)) retire_box(delete_value(e));
  }

  // Go 1.20's Swap: the previous value, if there was one.
  std::optional<V> swap(const K& k, V v) {
    maps::reclaim::read_section rs;
    box* b = new_box(std::move(v));
    const read_only* r = read_.load(std::memory_order_acquire);
    box* old = nullptr;
    entry* const* e = r->m.lookup(k);
    if (e == nullptr || !try_swap(*e, b, old)) [[unlikely]]
      old = swap_slow(k, b);
    if (!holds_value(old)) return std::nullopt;
    std::optional<V> prev(old->v);
    retire_box(old);
    return prev;
  }

  // Go 1.20's CompareAndSwap: replaces the value of k with desired if it equals expected.
  bool compare_and_swap(const K& k, const V& expected, const V& desired) {
    maps::reclaim::read_section rs;
    const read_only* r = read_.load(std::memory_order_acquire);
    if (entry* const* e = r->m.lookup(k)) [[likely]]
      return try_compare_and_swap(*e, expected, desired);
    if (!r->amended.load(std::memory_order_acquire)) return false;
    return compare_and_swap_slow(k, expected, desired);
  }

  // Go 1.20's CompareAndDelete: deletes k if its value equals expected.
  bool compare_and_delete(const K& k, const V& expected);

  // Go's Range: fn(const K&, const V&) -> bool (false stops; a void fn never stops). Each
  // key is visited at most once, with a value it had at some point during the call; keys
  // stored or deleted meanwhile may or may not be visited. fn may call any operation.
  template <class F>
  void range(F&& fn);

  // The number of keys with a value: a walk of the table (O(n)), promoting first as range
  // does. Under concurrent writes, a count some moment of the walk may never have had.
  size_t len();

  // Invariants S1-S5; "" when they hold.
  std::string check();

  // What the two tables hold now, under mu_ (tests, x-ray).
  struct state_t {
    size_t read_keys;      // keys in read_, expunged ones included
    size_t read_expunged;  // of which expunged
    bool amended;
    bool has_dirty;
    size_t dirty_keys;  // 0 without dirty_
    size_t misses;
    bool read_growing;  // read_'s table has old buckets (never, after complete_grow)
  };
  state_t state();

 private:
  static box* expunged() { return reinterpret_cast<box*>(uintptr_t{1}); }
  static bool holds_value(const box* p) { return reinterpret_cast<uintptr_t>(p) > 1; }

  template <class T, class... Args>
  static T* make(Args&&... args) {
    void* p = runtime::allocate(sizeof(T), alignof(T), false);
    if (p == nullptr) throw std::bad_alloc();
    return ::new (p) T(std::forward<Args>(args)...);
  }
  template <class T>
  static void destroy(T* p) {
    p->~T();
    runtime::deallocate(p);
  }
  static box* new_box(V&& v) { return make<box>(box{std::move(v)}); }
  static void free_box(void* p) { destroy(static_cast<box*>(p)); }
  static void free_entry(void* p) { destroy(static_cast<entry*>(p)); }
  static void free_node(void* p);
  // Retires a box that left the map (nullptr and kExpunged are no boxes).
  static void retire_box(box* p) {
    if (holds_value(p)) maps::reclaim::retire(p, &free_box);
  }

  static std::optional<V> value_of(const entry* e) {
    const box* p = e->p.load(std::memory_order_acquire);
    if (holds_value(p)) [[likely]]
      return p->v;
    return std::nullopt;
  }

  // Go's trySwap/tryStore: false (and b not published) if e is expunged.
  static bool try_swap(entry* e, box* b, box*& old) {
    box* p = e->p.load(std::memory_order_relaxed);
    do {
      if (p == expunged()) [[unlikely]]
        return false;
    } while (!e->p.compare_exchange_weak(p, b, std::memory_order_acq_rel,
                                         std::memory_order_relaxed));
    old = p;
    return true;
  }

  static std::optional<std::pair<V, bool>> try_load_or_store(entry* e, const V& v);
  static bool try_compare_and_swap(entry* e, const V& expected, const V& desired);
  static box* delete_value(entry* e);
  static bool try_expunge_locked(entry* e);

  GORT_NOINLINE std::optional<V> load_slow(const K& k);
  GORT_NOINLINE box* swap_slow(const K& k, box* b);
  GORT_NOINLINE std::pair<V, bool> load_or_store_slow(const K& k, V v);
  GORT_NOINLINE bool compare_and_swap_slow(const K& k, const V& expected, const V& desired);
  GORT_NOINLINE entry* find_for_delete_slow(const K& k);
  GORT_NOINLINE read_only* promote_for_range();

  entry* find_for_delete(const K& k) {
    const read_only* r = read_.load(std::memory_order_acquire);
    if (entry* const* e = r->m.lookup(k)) [[likely]]
      return *e;
    if (!r->amended.load(std::memory_order_acquire)) return nullptr;
    return find_for_delete_slow(k);
  }

  entry* dirty_lookup_locked(const K& k) {
    if (dirty_ == nullptr) return nullptr;
    entry* const* e = std::as_const(dirty_->m).lookup(k);
    return e != nullptr ? *e : nullptr;
  }
  void make_dirty_locked();
  void new_key_locked(const K& k, box* b);
  void unexpunge_into_dirty_locked(const K& k, entry* e);
  void miss_locked() {
    if (++misses_ < dirty_->m.len()) return;
    promote_locked();
  }
  void promote_locked();

  std::atomic<read_only*> read_;
  std::mutex mu_;
  read_only* dirty_ = nullptr;  // mu_
  size_t misses_ = 0;           // mu_
};

// ---- out of line: the entry's CAS loops ----------------------------------------------------

// Go's tryLoadOrStore: nullopt if e is expunged.
template <class K, class V, class H, class E>
std::optional<std::pair<V, bool>> sync_map<K, V, H, E>::try_load_or_store(entry* e, const V& v) {
  box* p = e->p.load(std::memory_order_acquire);
  if (p == expunged()) return std::nullopt;
  if (holds_value(p)) return std::pair<V, bool>(p->v, true);
  box* b = make<box>(box{v});
  for (;;) {
    box* want = nullptr;
    if (e->p.compare_exchange_strong(want, b, std::memory_order_acq_rel,
                                     std::memory_order_acquire))
      return std::pair<V, bool>(b->v, false);
    p = want;
    if (p == expunged() || holds_value(p)) {
      free_box(b);  // never published
      if (p == expunged()) return std::nullopt;
      return std::pair<V, bool>(p->v, true);
    }
  }
}

// Go 1.20's tryCompareAndSwap.
template <class K, class V, class H, class E>
bool sync_map<K, V, H, E>::try_compare_and_swap(entry* e, const V& expected, const V& desired) {
  box* p = e->p.load(std::memory_order_acquire);
  if (!holds_value(p) || !(p->v == expected)) return false;
  box* b = make<box>(box{desired});
  for (;;) {
    if (e->p.compare_exchange_weak(p, b, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      retire_box(p);
      return true;
    }
    if (!holds_value(p) || !(p->v == expected)) {
      free_box(b);  // never published
      return false;
    }
  }
}

// Go's entry.delete: the box taken out of e (to be retired by the caller), or nullptr.
template <class K, class V, class H, class E>
typename sync_map<K, V, H, E>::box* sync_map<K, V, H, E>::delete_value(entry* e) {
  box* p = e->p.load(std::memory_order_acquire);
  for (;;) {
    if (!holds_value(p)) return nullptr;
    if (e->p.compare_exchange_weak(p, nullptr, std::memory_order_acq_rel,
                                   std::memory_order_acquire))
      return p;
  }
}

// Go's tryExpungeLocked: true if e is (now) expunged.
template <class K, class V, class H, class E>
bool sync_map<K, V, H, E>::try_expunge_locked(entry* e) {
  box* p = e->p.load(std::memory_order_acquire);
  while (p == nullptr) {
    if (e->p.compare_exchange_weak(p, expunged(), std::memory_order_acq_rel,
                                   std::memory_order_acquire))
      return true;
  }
  return p == expunged();
}

// ---- out of line: the paths under mu_ -------------------------------------------------------

template <class K, class V, class H, class E>
std::optional<V> sync_map<K, V, H, E>::load_slow(const K& k) {
  entry* e;
  {
    std::lock_guard lk(mu_);
    const read_only* r = read_.load(std::memory_order_relaxed);
    if (entry* const* pe = r->m.lookup(k)) {
      e = *pe;
    } else if (!r->amended.load(std::memory_order_relaxed)) {
      return std::nullopt;
    } else {
      e = dirty_lookup_locked(k);
      miss_locked();
    }
  }
  if (e == nullptr) return std::nullopt;
  return value_of(e);
}

// Go's Store/Swap under the lock: b goes in; returns what it replaced (a box, nullptr, or
// kExpunged), for the caller to copy and retire.
template <class K, class V, class H, class E>
typename sync_map<K, V, H, E>::box* sync_map<K, V, H, E>::swap_slow(const K& k, box* b) {
  std::lock_guard lk(mu_);
  const read_only* r = read_.load(std::memory_order_relaxed);
  entry* e = nullptr;
  if (entry* const* pe = r->m.lookup(k)) {
    e = *pe;
    if (e->p.load(std::memory_order_relaxed) == expunged()) unexpunge_into_dirty_locked(k, e);
  } else {
    e = dirty_lookup_locked(k);
  }
  if (e != nullptr) return e->p.exchange(b, std::memory_order_acq_rel);
  new_key_locked(k, b);
  return nullptr;
}

template <class K, class V, class H, class E>
std::pair<V, bool> sync_map<K, V, H, E>::load_or_store_slow(const K& k, V v) {
  std::lock_guard lk(mu_);
  const read_only* r = read_.load(std::memory_order_relaxed);
  if (entry* const* pe = r->m.lookup(k)) {
    entry* e = *pe;
    if (e->p.load(std::memory_order_relaxed) == expunged()) unexpunge_into_dirty_locked(k, e);
    return *try_load_or_store(e, v);  // not expunged: only mu_'s holder expunges
  }
  if (entry* e = dirty_lookup_locked(k)) {
    std::pair<V, bool> res = *try_load_or_store(e, v);
    miss_locked();
    return res;
  }
  box* b = new_box(std::move(v));
  new_key_locked(k, b);
  return std::pair<V, bool>(b->v, false);
}

template <class K, class V, class H, class E>
bool sync_map<K, V, H, E>::compare_and_swap_slow(const K& k, const V& expected,
                                                 const V& desired) {
  std::lock_guard lk(mu_);
  const read_only* r = read_.load(std::memory_order_relaxed);
  if (entry* const* pe = r->m.lookup(k)) return try_compare_and_swap(*pe, expected, desired);
  entry* e = dirty_lookup_locked(k);
  if (e == nullptr) return false;
  const bool swapped = try_compare_and_swap(e, expected, desired);
  miss_locked();
  return swapped;
}

template <class K, class V, class H, class E>
bool sync_map<K, V, H, E>::compare_and_delete(const K& k, const V& expected) {
  maps::reclaim::read_section rs;
  const read_only* r = read_.load(std::memory_order_acquire);
  entry* const* pe = r->m.lookup(k);
  entry* e = pe != nullptr ? *pe : nullptr;
  if (e == nullptr && r->amended.load(std::memory_order_acquire)) {
    std::lock_guard lk(mu_);
    r = read_.load(std::memory_order_relaxed);
    pe = r->m.lookup(k);
    e = pe != nullptr ? *pe : nullptr;
    if (e == nullptr && r->amended.load(std::memory_order_relaxed)) {
      e = dirty_lookup_locked(k);  // left in dirty_: expunged at the next build
      miss_locked();
    }
  }
  if (e == nullptr) return false;
  box* p = e->p.load(std::memory_order_acquire);
  for (;;) {
    if (!holds_value(p) || !(p->v == expected)) return false;
    if (e->p.compare_exchange_weak(p, nullptr, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      retire_box(p);
      return true;
    }
  }
}

// Go's LoadAndDelete under the lock: a key found in dirty_ only leaves it (its entry is
// retired: other threads may hold it, see Lifetimes); a miss is counted either way.
template <class K, class V, class H, class E>
typename sync_map<K, V, H, E>::entry* sync_map<K, V, H, E>::find_for_delete_slow(const K& k) {
  std::lock_guard lk(mu_);
  const read_only* r = read_.load(std::memory_order_relaxed);
  if (entry* const* pe = r->m.lookup(k)) return *pe;
  if (!r->amended.load(std::memory_order_relaxed)) return nullptr;
  entry* e = dirty_lookup_locked(k);
  if (e != nullptr) {
    dirty_->m.del(k);
    maps::reclaim::retire(e, &free_entry);
  }
  miss_locked();
  return e;
}

// Go's dirtyLocked: dirty_ := every entry of read_ that a nullptr does not turn into
// kExpunged. If a copy throws, the entries expunged so far are put back (no thread but
// mu_'s holder changes an expunged entry) and read_ stays as it was.
template <class K, class V, class H, class E>
void sync_map<K, V, H, E>::make_dirty_locked() {
  if (dirty_ != nullptr) return;
  read_only* r = read_.load(std::memory_order_relaxed);
  read_only* d = make<read_only>();
  entry* expunged_list = nullptr;
  try {
    d->m.reserve(r->m.len());
    for (const auto& kv : std::as_const(r->m)) {
      entry* e = kv.second;
      if (try_expunge_locked(e)) {
        e->next = expunged_list;
        expunged_list = e;
      } else {
        d->m.set(kv.first, e);
      }
    }
  } catch (...) {
    for (entry* e = expunged_list; e != nullptr; e = e->next)
      e->p.store(nullptr, std::memory_order_release);
    destroy(d);
    throw;
  }
  r->expunged = expunged_list;
  dirty_ = d;
}

// A key in neither table: make dirty_ if needed, mark read_ amended, add the entry.
template <class K, class V, class H, class E>
void sync_map<K, V, H, E>::new_key_locked(const K& k, box* b) {
  read_only* r = read_.load(std::memory_order_relaxed);
  entry* e;
  try {
    if (dirty_ == nullptr) {
      make_dirty_locked();
      r->amended.store(true, std::memory_order_release);
    }
    e = make<entry>();
    e->p.store(b, std::memory_order_relaxed);
    try {
      dirty_->m.set(k, e);
    } catch (...) {
      destroy(e);
      throw;
    }
  } catch (...) {
    free_box(b);  // never published
    throw;
  }
}

// Go's unexpungeLocked + m.dirty[key] = e, in the order that survives a throwing insert:
// e is put into dirty_ while still expunged (nobody else sees dirty_), then made nullptr.
template <class K, class V, class H, class E>
void sync_map<K, V, H, E>::unexpunge_into_dirty_locked(const K& k, entry* e) {
  dirty_->m.set(k, e);
  e->p.store(nullptr, std::memory_order_release);
}

// Go's missLocked's second half: dirty_ becomes read_; the old node is retired with the
// entries only it held (still expunged: see Lifetimes).
template <class K, class V, class H, class E>
void sync_map<K, V, H, E>::promote_locked() {
  read_only* old = read_.load(std::memory_order_relaxed);
  entry* dead = nullptr;
  for (entry* e = old->expunged; e != nullptr;) {
    entry* next = e->next;
    if (e->p.load(std::memory_order_relaxed) == expunged()) {
      e->next = dead;
      dead = e;
    }
    e = next;
  }
  old->expunged = dead;
  dirty_->m.complete_grow();  // else its lookups would read old buckets for its whole life
  read_.store(dirty_, std::memory_order_release);
  dirty_ = nullptr;
  misses_ = 0;
  maps::reclaim::retire(old, &free_node);
}

template <class K, class V, class H, class E>
void sync_map<K, V, H, E>::free_node(void* p) {
  read_only* n = static_cast<read_only*>(p);
  for (entry* e = n->expunged; e != nullptr;) {
    entry* next = e->next;
    destroy(e);
    e = next;
  }
  destroy(n);
}

template <class K, class V, class H, class E>
typename sync_map<K, V, H, E>::read_only* sync_map<K, V, H, E>::promote_for_range() {
  std::lock_guard lk(mu_);
  if (read_.load(std::memory_order_relaxed)->amended.load(std::memory_order_relaxed))
    promote_locked();
  return read_.load(std::memory_order_relaxed);
}

template <class K, class V, class H, class E>
template <class F>
void sync_map<K, V, H, E>::range(F&& fn) {
  maps::reclaim::read_section rs;
  const read_only* r = read_.load(std::memory_order_acquire);
  if (r->amended.load(std::memory_order_acquire)) r = promote_for_range();
  for (const auto& kv : r->m) {
    const box* p = kv.second->p.load(std::memory_order_acquire);
    if (!holds_value(p)) continue;
    if constexpr (std::is_void_v<std::invoke_result_t<F&, const K&, const V&>>) {
      fn(kv.first, p->v);
    } else {
      if (!fn(kv.first, p->v)) break;
    }
  }
}

template <class K, class V, class H, class E>
size_t sync_map<K, V, H, E>::len() {
  size_t n = 0;
  range([&n](const K&, const V&) { n++; });
  return n;
}

// Nobody else uses the map now; what is retired already frees itself.
template <class K, class V, class H, class E>
sync_map<K, V, H, E>::~sync_map() {
  read_only* r = read_.load(std::memory_order_relaxed);
  auto drop = [](entry* e) {
    box* p = e->p.load(std::memory_order_relaxed);
    if (holds_value(p)) free_box(p);
    destroy(e);
  };
  if (dirty_ != nullptr) {  // S3: read_'s other entries are all in dirty_ (free them last)
    for (const auto& kv : std::as_const(r->m))
      if (kv.second->p.load(std::memory_order_relaxed) == expunged()) destroy(kv.second);
    for (const auto& kv : std::as_const(dirty_->m)) drop(kv.second);
    destroy(dirty_);
  } else {
    for (const auto& kv : std::as_const(r->m)) drop(kv.second);
  }
  destroy(r);
}

template <class K, class V, class H, class E>
typename sync_map<K, V, H, E>::state_t sync_map<K, V, H, E>::state() {
  std::lock_guard lk(mu_);
  const read_only* r = read_.load(std::memory_order_relaxed);
  state_t st{r->m.len(), 0, r->amended.load(std::memory_order_relaxed), dirty_ != nullptr,
             dirty_ != nullptr ? dirty_->m.len() : 0, misses_,
             r->m.xray(maps::xray_level::header).growing};
  for (const auto& kv : std::as_const(r->m))
    st.read_expunged += kv.second->p.load(std::memory_order_relaxed) == expunged();
  return st;
}

template <class K, class V, class H, class E>
std::string sync_map<K, V, H, E>::check() {
  std::lock_guard lk(mu_);
  const read_only* r = read_.load(std::memory_order_relaxed);
  if ((dirty_ != nullptr) != r->amended.load(std::memory_order_relaxed))
    return "S1: dirty_ exists iff read_ is amended";
  for (const auto& kv : std::as_const(r->m)) {
    const bool exp = kv.second->p.load(std::memory_order_relaxed) == expunged();
    if (dirty_ == nullptr) {
      if (exp) return "S2: an entry of read_ is expunged with no dirty_";
      continue;
    }
    entry* d = dirty_lookup_locked(kv.first);
    if (exp && d != nullptr) return "S3: an expunged key of read_ is in dirty_";
    if (!exp && d != kv.second) return "S3: a live entry of read_ is not the one in dirty_";
    if (exp) {
      bool listed = false;
      for (entry* e = r->expunged; e != nullptr && !listed; e = e->next) listed = e == kv.second;
      if (!listed) return "S3: an expunged entry is not on read_'s expunged list";
    }
  }
  if (dirty_ != nullptr) {
    for (const auto& kv : std::as_const(dirty_->m))
      if (kv.second->p.load(std::memory_order_relaxed) == expunged())
        return "S4: an entry of dirty_ is expunged";
    if (misses_ >= dirty_->m.len()) return "S5: misses_ >= len(dirty_)";
  }
  if (std::string c = r->m.check(); !c.empty()) return "read_: " + c;
  if (dirty_ != nullptr)
    if (std::string c = dirty_->m.check(); !c.empty()) return "dirty_: " + c;
  return "";
}

}  // namespace gort
