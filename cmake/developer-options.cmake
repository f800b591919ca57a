# Warnings and sanitizers, in the manner of simdjson's developer-options.cmake.
# Targets link llava_warnings to get the project's warning set.
option(LLAVA_VERIFY_WERROR "Treat warnings as errors (CI turns this on)" OFF)
option(LLAVA_VERIFY_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_library(llava_warnings INTERFACE)
target_compile_options(llava_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough)
# GCC 12 at -O3 reports -Wrestrict on std::string copies inside libstdc++ that
# cannot overlap (GCC bugs 105329, 105651): a false positive we cannot fix in our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(llava_warnings INTERFACE -Wno-restrict)
endif()
if(LLAVA_VERIFY_WERROR)
  target_compile_options(llava_warnings INTERFACE -Werror)
endif()

if(LLAVA_VERIFY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
