// Raw host functions, module "env", with the exact signatures Envoy links against
// (digest §1). Envoy rejects a module whose import signature differs by one parameter, so
// these follow Envoy, not older SDKs: gRPC calls carry metadata (12 and 9 params) and the
// metric values are i64. 0.1.0-only calls (proxy_get_configuration, proxy_clear_route_cache,
// proxy_continue_request/_response) are deliberately absent: importing one fails to link
// under 0.2.1. asc drops unused imports, so declaring everything costs nothing.
// Every function returns a WasmResult as u32. Pointers are usize (i32 in wasm32).

// Logging, time, timers
@external("env", "proxy_log")
export declare function proxy_log(level: u32, ptr: usize, len: usize): u32;
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(retLevel: usize): u32;
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(retTime: usize): u32;
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(ms: u32): u32;

// Buffers
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(type: u32, start: u32, maxSize: u32, retPtr: usize, retLen: usize): u32;
@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(type: u32, retLen: usize, retFlags: usize): u32;
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(type: u32, start: u32, len: u32, ptr: usize, size: usize): u32;

// Header maps
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(map: u32, retPtr: usize, retLen: usize): u32;
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(map: u32, ptr: usize, len: usize): u32;
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(map: u32, retSize: usize): u32;
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(map: u32, keyPtr: usize, keyLen: usize, retPtr: usize, retLen: usize): u32;
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(map: u32, keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): u32;
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(map: u32, keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): u32;
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(map: u32, keyPtr: usize, keyLen: usize): u32;

// Properties
@external("env", "proxy_get_property")
export declare function proxy_get_property(pathPtr: usize, pathLen: usize, retPtr: usize, retLen: usize): u32;
@external("env", "proxy_set_property")
export declare function proxy_set_property(pathPtr: usize, pathLen: usize, valuePtr: usize, valueLen: usize): u32;

// Stream control
@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(type: u32): u32;
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(type: u32): u32;
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(
  statusCode: u32,
  detailsPtr: usize, detailsLen: usize,
  bodyPtr: usize, bodyLen: usize,
  headersPtr: usize, headersLen: usize,
  grpcStatus: i32,
): u32;

// HTTP and gRPC callouts
@external("env", "proxy_http_call")
export declare function proxy_http_call(
  upstreamPtr: usize, upstreamLen: usize,
  headersPtr: usize, headersLen: usize,
  bodyPtr: usize, bodyLen: usize,
  trailersPtr: usize, trailersLen: usize,
  timeoutMs: u32,
  retToken: usize,
): u32;
@external("env", "proxy_grpc_call")
export declare function proxy_grpc_call(
  servicePtr: usize, serviceLen: usize,
  serviceNamePtr: usize, serviceNameLen: usize,
  methodPtr: usize, methodLen: usize,
  metadataPtr: usize, metadataLen: usize,
  messagePtr: usize, messageLen: usize,
  timeoutMs: u32,
  retToken: usize,
): u32;
@external("env", "proxy_grpc_stream")
export declare function proxy_grpc_stream(
  servicePtr: usize, serviceLen: usize,
  serviceNamePtr: usize, serviceNameLen: usize,
  methodPtr: usize, methodLen: usize,
  metadataPtr: usize, metadataLen: usize,
  retToken: usize,
): u32;
@external("env", "proxy_grpc_send")
export declare function proxy_grpc_send(token: u32, messagePtr: usize, messageLen: usize, endStream: u32): u32;
@external("env", "proxy_grpc_cancel")
export declare function proxy_grpc_cancel(token: u32): u32;
@external("env", "proxy_grpc_close")
export declare function proxy_grpc_close(token: u32): u32;
@external("env", "proxy_get_status")
export declare function proxy_get_status(retCode: usize, retMessagePtr: usize, retMessageLen: usize): u32;

// Shared data and queues
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize, cas: u32): u32;
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(keyPtr: usize, keyLen: usize, retPtr: usize, retLen: usize, retCas: usize): u32;
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(namePtr: usize, nameLen: usize, retId: usize): u32;
@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(vmIdPtr: usize, vmIdLen: usize, namePtr: usize, nameLen: usize, retId: usize): u32;
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(queueId: u32, ptr: usize, len: usize): u32;
@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(queueId: u32, retPtr: usize, retLen: usize): u32;

// Metrics
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(type: u32, namePtr: usize, nameLen: usize, retId: usize): u32;
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(id: u32, delta: i64): u32;
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(id: u32, value: u64): u32;
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(id: u32, retValue: usize): u32;

// Contexts and foreign functions
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(contextId: u32): u32;
@external("env", "proxy_done")
export declare function proxy_done(): u32;
@external("env", "proxy_call_foreign_function")
export declare function proxy_call_foreign_function(namePtr: usize, nameLen: usize, argsPtr: usize, argsLen: usize, retPtr: usize, retLen: usize): u32;
