# Warnings and sanitizers, in the manner of simdjson's developer-options.cmake.
# Targets link llava_warnings to get the project's warning set.
option(LLAVA_VERIFY_WERROR "Treat warnings as errors (CI turns this on)" OFF)
option(LLAVA_VERIFY_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

add_library(llava_warnings INTERFACE)
target_compile_options(llava_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wnull-dereference)
if(LLAVA_VERIFY_WERROR)
  target_compile_options(llava_warnings INTERFACE -Werror)
endif()

if(LLAVA_VERIFY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
