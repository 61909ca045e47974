// The dedup release version.
#ifndef DEDUP_VERSION_H_
#define DEDUP_VERSION_H_

namespace dedup {
inline constexpr char kVersion[] = "0.1.0";
}  // namespace dedup

#endif  // DEDUP_VERSION_H_
