# sup_daemon: the Supervisor and the Daemon that wires every room together; supd: main.cpp.
file(GLOB _core CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/core/*.cpp)
add_library(sup_daemon STATIC ${_core} daemon/daemon.cpp daemon/daemon_signals.cpp)
target_include_directories(sup_daemon PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(sup_daemon PUBLIC
  sup_conf sup_protocol sup_control sup_loop sup_process sup_lifecycle sup_output sup_init
  sup_logging sup_shutdown sup_status sup_notify sup_health sup_daemon_resources
  PkgConfig::LIBUV sup_spdlog
  nlohmann_json::nlohmann_json Threads::Threads)

add_executable(supd main.cpp)
target_link_libraries(supd PRIVATE sup_daemon CLI11::CLI11)
# Static libstdc++/libgcc/libm (cmake/start_up_link.cmake): fewer relocations at start-up,
# and PSS that does not depend on which other processes map the shared libstdc++.
sup_link_for_start_up(supd)
install(TARGETS supd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
