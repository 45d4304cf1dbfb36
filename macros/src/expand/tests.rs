//! `check` then `expand` on token streams, without compiling a user crate.

use quote::quote;

use super::expand;
use crate::{ast, check};

fn expanded(tokens: proc_macro2::TokenStream) -> syn::File {
    let decl: ast::Network = syn::parse2(tokens).expect("parses");
    let ir = check::check(&decl).expect("valid");
    syn::parse2(expand(&quote!(::liandan), &ir)).expect("the expansion is valid Rust")
}

fn item_names(file: &syn::File) -> Vec<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn emits_the_network_its_gradient_its_tape_its_scratch_and_its_int8_form() {
    let file = expanded(quote! {
        pub struct Mnist { input: [28, 28], Flatten, Dense<128, Relu>, Dropout<0.2>, Dense<10, Softmax> }
    });
    assert_eq!(
        item_names(&file),
        [
            "Mnist",
            "MnistGrad",
            "MnistTape",
            "MnistScratch",
            "MnistInt8",
            "MnistInt8Scratch"
        ]
    );
    let text = quote!(#file).to_string();
    // Flatten moves no data: no pass calls it, and the tape keeps nothing for it.
    let passes = text.split("fn forward <").nth(1).expect("a forward pass");
    let passes = passes.split("fn init").next().expect("then init");
    assert!(passes.contains("dense_1") && passes.contains("dropout_1"));
    assert!(!passes.contains("flatten_1"), "{passes}");
    // The gradient struct holds the dense layers only.
    let grad = &file.items[1];
    assert_eq!(quote!(#grad).to_string().matches("pub dense_").count(), 2);
    // The scratch holds what inference computes: the dense layers' scratch and the first one's
    // output, nothing for the layers inference skips.
    let scratch = &file.items[3];
    let scratch = quote!(#scratch).to_string();
    for field in ["dense_1 :", "dense_1_output :", "dense_2 :"] {
        assert!(scratch.contains(field), "{scratch}");
    }
    for field in ["flatten_1", "dropout_1", "dense_2_output"] {
        assert!(!scratch.contains(field), "{scratch}");
    }
}

#[test]
fn inference_keeps_no_batch_in_a_local() {
    let file = expanded(quote!(struct N { input: [4], Dense<8, Relu>, Dense<8, Relu>, Dense<2> }));
    let text = quote!(#file).to_string();
    let forward = text.split("fn forward <").nth(1).expect("a forward pass");
    let forward = forward.split("fn forward_in").next().expect("ends");
    assert!(!forward.contains("zeroed"), "{forward}");
    assert!(!forward.contains("let mut"), "{forward}");
    assert!(forward.contains("& mut * dense_2_output"), "{forward}");
}

#[test]
fn inference_skips_dropout() {
    let file = expanded(quote!(struct N { input: [4], Dropout<0.5>, Dense<2> }));
    let text = quote!(#file).to_string();
    let forward = text.split("fn forward <").nth(1).expect("a forward pass");
    let forward = forward.split("fn forward_in").next().expect("ends");
    assert!(!forward.contains("dropout_1"), "{forward}");
    assert!(forward.contains("dense_1"));
}

#[test]
fn sizes_are_written_without_a_suffix() {
    // rustdoc shows field types as emitted: `Dense<T, 784, 128, Relu>`, not `784usize`.
    let file = expanded(quote!(pub struct N { input: [784], Dense<128, Relu> }));
    let network = &file.items[0];
    let text = quote!(#network).to_string();
    assert!(text.contains("Dense < T , 784 , 128 ,"), "{text}");
    assert!(!text.contains("usize"), "{text}");
    let all = quote!(#file).to_string();
    assert!(
        all.contains("type Input = :: liandan :: shape :: Flat < 784 >"),
        "the trait impl's shapes too"
    );
}

#[test]
fn the_dropout_rate_is_in_the_type() {
    // So every construction (all-zero bytes included) has the declared rate.
    let file = expanded(quote!(pub struct N { input: [128], Dropout<0.2>, Dense<10> }));
    let network = &file.items[0];
    let text = quote!(#network).to_string();
    assert!(
        text.contains("Dropout < T , :: liandan :: shape :: Flat < 128 > , 200000 >"),
        "{text}"
    );
}

#[test]
fn a_convnet_has_an_int8_form_and_average_pooling_has_none() {
    let file = expanded(quote! {
        struct Convnet {
            input: [28, 28, 1],
            Conv2D<32, 3x3, Relu>,
            MaxPooling2D<2>,
            Conv2D<64, 3x3, Relu, padding = Same, strides = 2>,
            Flatten,
            Dense<10, Softmax>,
        }
    });
    assert!(item_names(&file).contains(&"ConvnetInt8".to_string()));
    let text = quote!(#file).to_string().replace(' ', "");
    for ty in [
        "::liandan::quant::Conv2D<28,28,1,32,3,3,26,26,3,::liandan::activation::Relu,::liandan::layers::Valid,1,1>",
        // The valid max pooling is the first convolution's: one layer, writing 13×13×32.
        ",::liandan::layers::Valid,1,1>,2,2,2,2,13,13>",
        "::liandan::quant::Conv2D<13,13,32,64,3,3,7,7,72,::liandan::activation::Relu,::liandan::layers::Same,2,2>",
    ] {
        assert!(text.contains(ty), "{ty}");
    }
    assert!(
        text.contains("pubconv2d_1:::liandan::quant::Conv2DMaxPool<::liandan::quant::Conv2D<28,")
    );
    assert!(!text.contains("quant::MaxPooling2D"), "{text}");
    // Max pooling keeps its input's quantisation: the second convolution loads from the
    // first's output.
    assert!(
        text.contains("letq=self.conv2d_1.conv.output;self.conv2d_2.load("),
        "{text}"
    );
    let file = expanded(quote! {
        struct Averaged { input: [4, 4, 1], Conv2D<2, 3x3>, AveragePooling2D<2>, Flatten, Dense<2> }
    });
    assert!(!item_names(&file).iter().any(|n| n.ends_with("Int8")));
}
