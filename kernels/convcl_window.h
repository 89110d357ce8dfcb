/*
 * convcl_window.h — the window every sliding-window kernel is compiled for: KH, KW (kernel height and
 * width), SH, SW (strides), DH, DW (dilations). A kernel file includes it first, so a missing define is
 * one clear #error instead of a cascade of undeclared identifiers.
 */
#if !defined(KH) || !defined(KW)
#error "KH and KW (kernel height and width) must be defined"
#endif
#if !defined(SH) || !defined(SW)
#error "SH and SW (strides) must be defined"
#endif
#if !defined(DH) || !defined(DW)
#error "DH and DW (dilations) must be defined"
#endif
