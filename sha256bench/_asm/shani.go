package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func genCPUID() {
	TEXT("cpuid7EBX", NOSPLIT, "func() uint32")
	Doc("cpuid7EBX returns CPUID leaf 7 sub-leaf 0 EBX; golang.org/x/sys/cpu does not expose the SHA bit.")
	MOVL(U32(7), EAX)
	XORL(ECX, ECX)
	CPUID()
	Store(EBX, ReturnIndex(0))
	RET()
}

func genSHANI(c consts) { genCPUID() }
