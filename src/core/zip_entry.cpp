#include "core/zip_entry.h"

#include <libdeflate.h>
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>

#include "core/names.h"

namespace lv {

std::string_view zip_finding_name(ZipFindingKind k) {
  switch (k) {
    case ZipFindingKind::junk_before: return "junk_before";
    case ZipFindingKind::duplicate: return "duplicate";
    case ZipFindingKind::unsafe_name: return "unsafe_name";
    case ZipFindingKind::symlink: return "symlink";
    case ZipFindingKind::encrypted: return "encrypted";
    case ZipFindingKind::unsupported_method: return "unsupported_method";
    case ZipFindingKind::header_mismatch: return "header_mismatch";
    case ZipFindingKind::truncated: return "truncated";
    case ZipFindingKind::bad_data: return "bad_data";
    case ZipFindingKind::size_mismatch: return "size_mismatch";
    case ZipFindingKind::bad_crc: return "bad_crc";
    case ZipFindingKind::overlapping: return "overlapping";
  }
  return "unknown";
}

std::string zip_method_name(std::uint16_t method) {
  switch (method) {
    case 0: return "stored";
    case 8: return "deflate";
    case 9: return "deflate64";
    case 12: return "bzip2";
    case 14: return "lzma";
    case 93: return "zstd";
    case 95: return "xz";
    default: return fmt::format("method {}", method);
  }
}

// Entries up to this size (compressed and not) are inflated in one call by
// libdeflate; larger ones stream through zlib with bounded buffers.
constexpr std::uint64_t kWholeEntryLimit = 64u << 20;
constexpr std::size_t kChunk = 1u << 20;
// The first read of an entry takes its local header and, when small, its data.
constexpr std::size_t kFirstRead = 256u << 10;

// A byte buffer that grows without zero-filling (every byte is written before it is read).
class RawBuffer {
 public:
  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  void resize(std::size_t n) {
    if (n > capacity_) {
      data_.reset(new std::uint8_t[n]);
      capacity_ = n;
    }
    size_ = n;
  }
  operator std::span<std::uint8_t>() { return {data_.get(), size_}; }  // NOLINT(google-explicit-constructor)

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0, capacity_ = 0;
};

struct ZipScratch::Impl {
  libdeflate_decompressor* inflater = libdeflate_alloc_decompressor();
  RawBuffer out;
  ~Impl() { libdeflate_free_decompressor(inflater); }
};

ZipScratch::ZipScratch() : impl_(std::make_unique<Impl>()) {
  if (impl_->inflater == nullptr) throw std::bad_alloc();
}
ZipScratch::~ZipScratch() = default;

struct EntryReader {
  ZipInput& in;
  const ZipDirectory& dir;
  const ZipEntry& e;
  std::int64_t index;
  ZipScratch::Impl& s;
  const EntrySink* sink;
  EntryOutcome out{};
  std::span<const std::uint8_t> cur{};  // the bytes of the last fill (a view of the input's window)

  void find(ZipFindingKind kind, std::string detail) {
    out.findings.push_back({kind, index, e.header_offset, std::move(detail)});
  }
  Status emit(std::span<const std::uint8_t> bytes) { return sink != nullptr && *sink ? (*sink)(bytes) : Status{}; }

  // Points `cur` at [offset, offset + n); false (and a finding) when the archive ends first.
  Result<bool> fill(std::uint64_t offset, std::size_t n) {
    auto got = in.peek(offset, n);
    if (!got) return got.error();
    cur = *got;
    if (cur.size() < n) {
      find(ZipFindingKind::truncated, fmt::format("the archive ends at byte {}, inside the entry", offset + cur.size()));
      return false;
    }
    return true;
  }

  static Result<EntryOutcome> start(ZipInput& input, const ZipDirectory& dir, std::size_t index, ZipScratch& scratch,
                                    const EntrySink* sink) {
    EntryReader reader{input, dir, dir.entries.at(index), static_cast<std::int64_t>(index), *scratch.impl_, sink, {}, {}};
    return reader.run();
  }

  Result<EntryOutcome> run() {
    const std::uint64_t limit = dir.directory_start;  // entries live before the central directory
    const std::uint64_t lh = e.header_offset;
    out.extent_end = lh + kLocalHeaderSize;
    if (lh > limit || limit - lh < kLocalHeaderSize) {
      find(ZipFindingKind::truncated,
           fmt::format("its local header at byte {} is past the entries' area (the central directory starts at byte {})", lh, limit));
      return std::move(out);
    }
    const std::uint64_t first_size =
        std::min<std::uint64_t>(limit - lh, std::max<std::uint64_t>(kLocalHeaderSize + e.name.size() + 64,
                                                                     e.compressed_size <= kFirstRead ? kLocalHeaderSize + e.name.size() + 64 + e.compressed_size : 0));
    auto filled = fill(lh, static_cast<std::size_t>(first_size));
    if (!filled) return filled.error();
    if (!*filled) return std::move(out);
    const std::uint8_t* h = cur.data();
    if (le32(h) != kLocalHeaderSig) {
      find(ZipFindingKind::header_mismatch, fmt::format("no local header at byte {}", lh));
      return std::move(out);
    }
    const std::uint16_t l_flags = le16(h + 6), l_method = le16(h + 8);
    const std::uint32_t l_crc = le32(h + 14);
    std::uint64_t l_csize = le32(h + 18), l_size = le32(h + 22);
    const std::size_t name_len = le16(h + 26), extra_len = le16(h + 28);
    const std::uint64_t data_start = lh + kLocalHeaderSize + name_len + extra_len;
    if (data_start > limit) {
      find(ZipFindingKind::truncated, fmt::format("its local header at byte {} runs into the central directory", lh));
      return std::move(out);
    }
    if (kLocalHeaderSize + name_len + extra_len > cur.size()) {
      auto more = fill(lh, kLocalHeaderSize + name_len + extra_len);
      if (!more) return more.error();
      if (!*more) return std::move(out);
      h = cur.data();
    }
    out.extent_end = data_start;
    const std::string_view l_name(reinterpret_cast<const char*>(h + kLocalHeaderSize), name_len);
    if (l_size == 0xFFFFFFFF || l_csize == 0xFFFFFFFF) {
      // ZIP64 local extra: uncompressed then compressed size.
      std::span<const std::uint8_t> extra(h + kLocalHeaderSize + name_len, extra_len);
      for (std::size_t p = 0; p + 4 <= extra.size();) {
        std::uint16_t id = le16(&extra[p]), len = le16(&extra[p + 2]);
        if (p + 4 + len > extra.size()) break;
        if (id == 0x0001 && len >= 16) {
          l_size = le64(&extra[p + 4]);
          l_csize = le64(&extra[p + 12]);
          break;
        }
        p += 4u + len;
      }
    }
    std::vector<std::string> differ;
    if (l_name != e.name) differ.push_back(fmt::format("the name ({})", quote_name(l_name)));
    if (l_method != e.method) differ.push_back(fmt::format("the method ({})", zip_method_name(l_method)));
    if ((l_flags & 1) != (e.flags & 1)) differ.push_back("the encryption flag");
    if (!e.has_descriptor() && (l_flags & 0x0008) == 0) {
      if (l_crc != e.crc32) differ.push_back(fmt::format("the CRC-32 ({:08x}, central {:08x})", l_crc, e.crc32));
      if (l_csize != e.compressed_size) differ.push_back(fmt::format("the compressed size ({}, central {})", l_csize, e.compressed_size));
      if (l_size != e.size) differ.push_back(fmt::format("the size ({}, central {})", l_size, e.size));
    }
    if (!differ.empty()) {
      std::string list;
      for (std::size_t i = 0; i < differ.size(); ++i) {
        list += (i == 0 ? "" : (i + 1 == differ.size() ? " and " : ", ")) + differ[i];
      }
      find(ZipFindingKind::header_mismatch, "the local header differs from the central directory in " + list);
    }
    const std::uint64_t data_end = data_start + e.compressed_size;
    if (e.compressed_size > limit - data_start) {
      find(ZipFindingKind::truncated,
           fmt::format("its {} bytes of data from byte {} run past the start of the central directory at byte {}",
                       e.compressed_size, data_start, limit));
      out.extent_end = limit;
      return std::move(out);
    }
    out.extent_end = data_end + descriptor_size(data_end, limit);
    if (e.encrypted()) {
      find(ZipFindingKind::encrypted, "its data cannot be checked without the password");
      return std::move(out);
    }
    if (e.method != 0 && e.method != 8) {
      find(ZipFindingKind::unsupported_method,
           fmt::format("compressed with {}, which llava-verify does not read (stored and deflate only)", zip_method_name(e.method)));
      return std::move(out);
    }
    const std::size_t offset_in_buffer = static_cast<std::size_t>(data_start - lh);
    const bool have_all = cur.size() >= offset_in_buffer + e.compressed_size;
    Status read = e.method == 0 ? stored(data_start, have_all ? offset_in_buffer : SIZE_MAX)
                                : (e.size <= kWholeEntryLimit && e.compressed_size <= kWholeEntryLimit
                                       ? inflate_whole(data_start, have_all ? offset_in_buffer : SIZE_MAX)
                                       : inflate_stream(data_start));
    if (!read) return read.error();
    return std::move(out);
  }

  // A data descriptor after the data (bit 3): optional signature, CRC, sizes.
  std::uint64_t descriptor_size(std::uint64_t at, std::uint64_t limit) {
    if (!e.has_descriptor()) return 0;
    std::uint8_t sig[4];
    auto n = in.read_at(at, sig);
    std::uint64_t size = (dir.zip64 && (e.size >= 0xFFFFFFFF || e.compressed_size >= 0xFFFFFFFF)) ? 20 : 12;
    if (n && *n == 4 && le32(sig) == kDescriptorSig) size += 4;
    return std::min(size, limit - at);
  }

  void check_crc(std::uint32_t crc, std::uint64_t produced) {
    out.data_read = true;
    out.crc32 = crc;
    if (produced != e.size) {
      find(ZipFindingKind::size_mismatch, fmt::format("its data are {} bytes, the central directory says {}", produced, e.size));
    } else if (crc != e.crc32) {
      find(ZipFindingKind::bad_crc, fmt::format("the data give CRC-32 {:08x}, the central directory says {:08x}", crc, e.crc32));
    }
  }

  Status stored(std::uint64_t data_start, std::size_t in_buffer) {
    if (e.compressed_size != e.size) {
      // Nothing is emitted: a writer must never get more bytes than the size says.
      find(ZipFindingKind::size_mismatch, fmt::format("stored, but {} bytes of data for a size of {}", e.compressed_size, e.size));
      return {};
    }
    std::uint32_t crc = 0;
    if (in_buffer != SIZE_MAX) {
      std::span<const std::uint8_t> data(cur.data() + in_buffer, static_cast<std::size_t>(e.compressed_size));
      crc = static_cast<std::uint32_t>(libdeflate_crc32(0, data.data(), data.size()));
      if (auto st = emit(data); !st) return st;
    } else {
      for (std::uint64_t done = 0; done < e.compressed_size;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, e.compressed_size - done));
        auto filled = fill(data_start + done, n);
        if (!filled) return filled.error();
        if (!*filled) return {};
        crc = static_cast<std::uint32_t>(libdeflate_crc32(crc, cur.data(), n));
        if (auto st = emit(std::span<const std::uint8_t>(cur.data(), n)); !st) return st;
        done += n;
      }
    }
    check_crc(crc, e.compressed_size);
    return {};
  }

  Status inflate_whole(std::uint64_t data_start, std::size_t in_buffer) {
    const std::size_t csize = static_cast<std::size_t>(e.compressed_size);
    const std::uint8_t* src = nullptr;
    if (in_buffer != SIZE_MAX) {
      src = cur.data() + in_buffer;
    } else {
      auto filled = fill(data_start, csize);
      if (!filled) return filled.error();
      if (!*filled) return {};
      src = cur.data();
    }
    // One byte more than announced, to tell "more data than the size says".
    s.out.resize(static_cast<std::size_t>(e.size) + 1);
    std::size_t used = 0, produced = 0;
    auto r = libdeflate_deflate_decompress_ex(s.inflater, src, csize, s.out.data(), s.out.size(), &used, &produced);
    if (r == LIBDEFLATE_BAD_DATA) {
      classify_bad_stream(src, csize);
      return {};
    }
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
      find(ZipFindingKind::size_mismatch, fmt::format("its data inflate to more than the {} bytes the central directory says", e.size));
      return {};
    }
    std::span<const std::uint8_t> data(s.out.data(), produced);
    if (auto st = emit(data); !st) return st;
    check_crc(static_cast<std::uint32_t>(libdeflate_crc32(0, data.data(), data.size())), produced);
    return {};
  }

  // libdeflate says only "bad data"; zlib tells a cut stream from a corrupt one.
  void classify_bad_stream(const std::uint8_t* src, std::size_t n) {
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
      find(ZipFindingKind::bad_data, "its compressed data are invalid");
      return;
    }
    std::vector<std::uint8_t> discard(kChunk);
    z.next_in = const_cast<Bytef*>(src);
    z.avail_in = static_cast<uInt>(n);
    int rc = Z_OK;
    while (rc == Z_OK) {
      z.next_out = discard.data();
      z.avail_out = static_cast<uInt>(discard.size());
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)) break;
    }
    if (rc == Z_DATA_ERROR) {
      find(ZipFindingKind::bad_data, fmt::format("its compressed data are invalid at byte {} of {} (zlib: {})", z.total_in, n,
                                                 z.msg != nullptr ? z.msg : "invalid data"));
    } else if (rc != Z_STREAM_END) {
      find(ZipFindingKind::truncated,
           fmt::format("its compressed data end before the deflate stream does ({} bytes: cut short)", n));
    } else {
      find(ZipFindingKind::bad_data, "its compressed data are invalid");
    }
    inflateEnd(&z);
  }

  Status inflate_stream(std::uint64_t data_start) {
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return Error{"zlib: cannot start inflating"};
    struct End {
      z_stream& z;
      ~End() { inflateEnd(&z); }
    } end{z};
    s.out.resize(kChunk);
    std::uint32_t crc = 0;
    std::uint64_t consumed = 0, produced = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      if (z.avail_in == 0 && consumed < e.compressed_size) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, e.compressed_size - consumed));
        auto filled = fill(data_start + consumed, n);
        if (!filled) return filled.error();
        if (!*filled) return {};
        consumed += n;
        z.next_in = const_cast<Bytef*>(cur.data());  // zlib does not write through it
        z.avail_in = static_cast<uInt>(n);
      }
      z.next_out = s.out.data();
      z.avail_out = static_cast<uInt>(s.out.size());
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc == Z_BUF_ERROR) {
        // No progress possible: every input byte is in and the stream wants more.
        find(ZipFindingKind::truncated,
             fmt::format("its compressed data end before the deflate stream does ({} bytes: cut short)", consumed));
        return {};
      }
      if (rc != Z_OK && rc != Z_STREAM_END) {
        find(ZipFindingKind::bad_data, fmt::format("its compressed data are invalid at byte {} (zlib: {})", z.total_in,
                                                   z.msg != nullptr ? z.msg : "invalid data"));
        return {};
      }
      const std::size_t got = s.out.size() - z.avail_out;
      produced += got;
      if (produced > e.size) {
        find(ZipFindingKind::size_mismatch, fmt::format("its data inflate to more than the {} bytes the central directory says", e.size));
        return {};
      }
      crc = static_cast<std::uint32_t>(libdeflate_crc32(crc, s.out.data(), got));
      if (auto st = emit(std::span<const std::uint8_t>(s.out.data(), got)); !st) return st;
    }
    check_crc(crc, produced);
    return {};
  }
};

Result<EntryOutcome> read_entry(ZipInput& input, const ZipDirectory& dir, std::size_t index, ZipScratch& scratch,
                                const EntrySink* sink) {
  return EntryReader::start(input, dir, index, scratch, sink);
}

}  // namespace lv
