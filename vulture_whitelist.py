"""Names vulture reports as unused that are used, by something it cannot see.

Only true false positives belong here (``.ci/run`` runs ``vulture``); dead
code is deleted instead.
"""

# ruff: noqa: B018, F821
# (a vulture whitelist is a list of bare names and attributes, by design)

# Public API of the client: methods and properties for its users, not called inside the package.
_.is_closed
_.health
compute
_.to_dict
_.output_array
# Context-manager protocol: __exit__'s parameters are positional, named by the protocol.
exc_type
tb

# Response fields: Pydantic model fields that are serialized (service) or parsed (client), not read in code.
applied_decoder
applied_skip
conv_matrix_is_forward_conv
conv_matrix_omitted
equivalent_conv
formula_latex
in_channels_latex
input_size_latex
macs_latex
out_channels_latex
output_size_latex
overhang_latex
pad_skip
padding_resolved
padding_resolved_latex
params_latex
unread_latex
jump_latex
phases_latex
size_min_latex
start_latex
center_latex
valid_input_sizes_reason
zero_inserted

# Framework hooks: FastAPI calls APIRoute.get_route_handler; Starlette reads Response.media_type.
_.get_route_handler
media_type
# Published limits fixed by the contract (Literal fields): GET /v1/limits lists them; nothing reads them.
max_spatial_rank
max_template_depth
max_template_convs_per_stage

# PyTorch-named parameters that the request accepts (as torch.nn does) but no size rule reads.
eps
momentum
inplace
negative_slope
approximate
beta
threshold
# Response-model fields (the JSON's shape; the renderers build plain dicts) and fields read by name.
runs
same_size
size_latex
channels_latex
capture_warnings
capture_seconds
# Client methods for users (check_module), ONNX's ModelProto field, the torch printer's visitor methods (getattr).
check_module
ir_version
_._Add
_._Mul
_._Pow
_._FloorDiv
_._CeilDiv
_._TruncToInt
_._Max
_._Min
