/**
 * ONNX model IO and graph editing: reading and writing models (external data for models over 2 GB
 * included), tensor conversions, opset upgrades, and an editable graph view.
 *
 * <p>The protobuf classes come from {@code ai.onnx.proto.OnnxMl} (Tribuo's generated copy of the
 * ONNX schema, IR 9). Unknown fields from newer IR versions survive a read/write round trip.
 */
package io.octet.onnx;
